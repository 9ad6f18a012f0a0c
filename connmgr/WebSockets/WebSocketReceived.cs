namespace Pushpin.Connmgr.WebSockets;

/// <summary>What one incoming frame amounted to, after validation, unmasking and inflation.</summary>
/// <param name="Opcode">Text or Binary for data (also on continuation frames: the message's opcode), else Ping, Pong or Close.</param>
/// <param name="IsFirst">Data: the frame started a message.</param>
/// <param name="IsFinal">Data: the frame ended its message (zhttp <c>more</c> is its negation).</param>
/// <param name="PayloadLength">Data: bytes written to the caller's payload writer; control: <paramref name="ControlPayload"/>'s length.</param>
/// <param name="CloseCode">Close: the code, or 1005 when the frame had none.</param>
/// <param name="ControlPayload">Ping/pong: the payload; close: the reason bytes. Valid until the next receive
/// (it lives in the receiver's buffer), so control frames between fragments never mix into message data.</param>
internal readonly record struct WebSocketReceived(
    WebSocketOpcode Opcode,
    bool IsFirst,
    bool IsFinal,
    int PayloadLength,
    ushort CloseCode,
    string CloseReason,
    ReadOnlyMemory<byte> ControlPayload = default);
