using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.WebSockets;

internal sealed partial class WsProxySession
{
    /// <summary>Raw WebSocket proxying needs connmgr's WebSocket client mode (not available yet).</summary>
    private IWsBackend? CreateRawBackend(RouteTarget target)
    {
        LogDebug(target + ": raw WebSocket proxying is not available (use over_http)");
        return null;
    }
}
