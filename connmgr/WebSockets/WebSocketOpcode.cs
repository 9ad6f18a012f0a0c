namespace Pushpin.Connmgr.WebSockets;

/// <summary>Frame opcodes of RFC 6455 §5.2; 3-7 and 11-15 are reserved.</summary>
internal enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}
