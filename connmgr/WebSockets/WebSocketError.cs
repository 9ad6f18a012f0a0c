namespace Pushpin.Connmgr.WebSockets;

/// <summary>A protocol violation: the close code to send and a reason for logs (and the close frame).</summary>
internal readonly record struct WebSocketError(ushort CloseCode, string Reason)
{
    public static WebSocketError Protocol(string reason) => new(WebSocketCloseCodes.ProtocolError, reason);

    public static WebSocketError TooBig(string reason) => new(WebSocketCloseCodes.MessageTooBig, reason);

    public static WebSocketError InvalidPayload(string reason) => new(WebSocketCloseCodes.InvalidPayload, reason);
}
