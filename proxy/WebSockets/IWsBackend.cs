using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.WebSockets;

/// <summary>
/// The backend side of one client WebSocket: WebSocket-over-HTTP or a raw WebSocket through
/// connmgr's client mode. Driven on the proxy's engine loop; reports back to its
/// <see cref="WsProxySession"/> (whose callbacks are no-ops once the session is gone).
/// </summary>
internal interface IWsBackend
{
    /// <summary>Content bytes written but not yet taken by the backend (flow control toward the client).</summary>
    int BufferedContent { get; }

    /// <summary>True once the backend side needs nothing more (its outbound ids are released).</summary>
    bool Finished { get; }

    void Start();

    /// <summary>A whole message from the client.</summary>
    void Write(WsMessageKind kind, byte[] content);

    /// <summary>Starts the close handshake toward the backend (null code = close without status).</summary>
    void Close(int? code, string? reason);

    /// <summary>The client vanished: tell the backend (WOH: DISCONNECT), then finish.</summary>
    void Disconnect();

    /// <summary>WOH: send a request now (publish <c>refresh</c>); raw: nothing.</summary>
    void Refresh();

    /// <summary>
    /// <paramref name="bytes"/> of what the backend sent left the proxy toward the client (or
    /// were consumed here): the backend may send that much more (raw: a credit packet).
    /// </summary>
    void Release(int bytes);

    void OnPacket(ZhttpPacket packet);

    void OnTick(long nowMs);
}
