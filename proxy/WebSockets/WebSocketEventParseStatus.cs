namespace Pushpin.Proxy.WebSockets;

internal enum WebSocketEventParseStatus
{
    /// <summary>One event was decoded.</summary>
    Done,

    /// <summary>The bytes so far are a valid prefix; wait for more (or, at the end of the body, see the final flag).</summary>
    NeedMoreData,

    /// <summary>The body is not valid <c>application/websocket-events</c>.</summary>
    Error,
}
