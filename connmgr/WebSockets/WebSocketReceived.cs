namespace Pushpin.Connmgr.WebSockets;

/// <summary>What one incoming frame amounted to, after validation, unmasking and inflation.</summary>
/// <param name="Opcode">Text or Binary for data (also on continuation frames: the message's opcode), else Ping, Pong or Close.</param>
/// <param name="IsFirst">Data: the frame started a message.</param>
/// <param name="IsFinal">Data: the frame ended its message (zhttp <c>more</c> is its negation).</param>
/// <param name="PayloadLength">Bytes written to the caller's payload writer (for close: the reason's bytes).</param>
/// <param name="CloseCode">Close: the code, or 1005 when the frame had none.</param>
internal readonly record struct WebSocketReceived(
    WebSocketOpcode Opcode,
    bool IsFirst,
    bool IsFinal,
    int PayloadLength,
    ushort CloseCode,
    string CloseReason);
