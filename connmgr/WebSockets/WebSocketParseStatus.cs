namespace Pushpin.Connmgr.WebSockets;

/// <summary>Outcome of one parse step.</summary>
internal enum WebSocketParseStatus
{
    /// <summary>A whole frame was parsed; the input was advanced past it.</summary>
    Done,

    /// <summary>Not enough bytes yet; nothing was consumed.</summary>
    NeedMoreData,

    /// <summary>The bytes break the protocol; the connection must be closed with <see cref="WebSocketError.CloseCode"/>.</summary>
    Error,
}
