namespace Pushpin.Proxy.Routing;

/// <summary>The kind of client request being routed.</summary>
public enum RouteProtocol
{
    Http,
    WebSocket,
}
