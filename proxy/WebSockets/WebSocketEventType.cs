namespace Pushpin.Proxy.WebSockets;

/// <summary>Event kinds of <c>application/websocket-events</c> (behavior.md §7.3).</summary>
internal enum WebSocketEventType
{
    /// <summary>A type name we do not know; upstream ignores such events, so sessions skip it.</summary>
    Unknown,
    Open,
    Text,
    Binary,
    Ping,
    Pong,
    Close,
    Disconnect,
}
