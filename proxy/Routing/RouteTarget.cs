namespace Pushpin.Proxy.Routing;

/// <summary>One failover alternative of a route (immutable).</summary>
public sealed record RouteTarget
{
    public RouteTargetKind Kind { get; init; }

    /// <summary>TCP destination for <see cref="RouteTargetKind.Default"/> targets.</summary>
    public string ConnectHost { get; init; } = string.Empty;

    public int ConnectPort { get; init; } = -1;

    /// <summary>Base spec of a custom zhttp target (after <c>zhttp/</c> or <c>zhttpreq/</c>).</summary>
    public string ZhttpSpec { get; init; } = string.Empty;

    /// <summary>True for <c>zhttpreq/</c> (request/response DEALER) targets.</summary>
    public bool ZhttpReq { get; init; }

    public int IpcFileMode { get; init; } = -1;

    public bool Ssl { get; init; }

    /// <summary>Targets are trusted (outbound policies ignored) unless marked <c>untrusted</c>.</summary>
    public bool Trusted { get; init; } = true;

    public bool TrustConnectHost { get; init; }

    public bool Insecure { get; init; }

    /// <summary>Override of the request host (and Host header), <c>name[:port]</c>.</summary>
    public string Host { get; init; } = string.Empty;

    public IReadOnlyList<string> Subscriptions { get; init; } = [];

    public bool OverHttp { get; init; }

    public bool OneEvent { get; init; }

    /// <summary>PEM text of the client certificate (read at load time).</summary>
    public string ClientCert { get; init; } = string.Empty;

    public string ClientKey { get; init; } = string.Empty;

    /// <summary>The target as upstream prints it in logs and error messages.</summary>
    public override string ToString() => Kind switch
    {
        RouteTargetKind.Test => "test",
        RouteTargetKind.Custom => (ZhttpReq ? "zhttpreq/" : "zhttp/") + ZhttpSpec,
        _ => (ConnectHost.Contains(':', StringComparison.Ordinal) ? "[" + ConnectHost + "]" : ConnectHost) + ":" + ConnectPort,
    };
}
