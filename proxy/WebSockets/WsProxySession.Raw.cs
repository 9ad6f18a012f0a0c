using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.WebSockets;

internal sealed partial class WsProxySession
{
    /// <summary>A target without <c>over_http</c>: the backend's own WebSocket through connmgr's client mode.</summary>
    private IWsBackend CreateRawBackend(RouteTarget target) => new RawWsBackend(_host, this, target);
}
