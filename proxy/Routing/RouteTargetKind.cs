namespace Pushpin.Proxy.Routing;

/// <summary>What a route target points at.</summary>
public enum RouteTargetKind
{
    /// <summary><c>host:port</c>, reached through connmgr's client mode.</summary>
    Default,

    /// <summary>A custom zhttp responder (<c>zhttp/</c> or <c>zhttpreq/</c>).</summary>
    Custom,

    /// <summary>The built-in <c>test</c> target answered inside the proxy.</summary>
    Test,
}
