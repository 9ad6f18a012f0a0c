namespace Pushpin.Handler.Publishing;

internal enum WsMessageType
{
    /// <summary>Not given; decided by whether <c>content</c> or <c>content-bin</c> was used.</summary>
    Unspecified,
    Text,
    Binary,
    Ping,
    Pong,
}
