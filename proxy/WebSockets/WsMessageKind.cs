namespace Pushpin.Proxy.WebSockets;

/// <summary>The kinds of whole WebSocket messages the proxy relays (close is handled on its own).</summary>
internal enum WsMessageKind
{
    Text,
    Binary,
    Ping,
    Pong,
}
