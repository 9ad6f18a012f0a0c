namespace Pushpin.Handler.WsControl;

/// <summary>The kind of WebSocket message a keep-alive or delayed send produces.</summary>
internal enum WsMessageType
{
    Text,
    Binary,
    Ping,
    Pong,
}
