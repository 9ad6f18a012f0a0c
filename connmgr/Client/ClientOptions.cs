namespace Pushpin.Connmgr.Client;

/// <summary>Settings of client mode (outbound HTTP for the proxy; zurl's role).</summary>
internal sealed record ClientOptions
{
    /// <summary>Base of the zhttp responder sockets (PULL N, ROUTER N+1, PUB N+2).</summary>
    public required string ZhttpBase { get; init; }

    public string InstanceId { get; init; } = "connmgr";

    /// <summary>Largest body packet sent, and the request-body credits granted at a time.</summary>
    public int BufferSize { get; init; } = 8192;

    /// <summary>Refuse private, loopback and link-local destinations unless the request says <c>ignore-policies</c>.</summary>
    public bool DenyOutInternal { get; init; }

    /// <summary>TCP connect plus TLS handshake (<c>connection-timeout</c> beyond).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Backend silence (nothing read or written) allowed while a session waits for or relays a
    /// response: upstream's <c>--stream-timeout</c>, 1800 s. Generous because plain backends may
    /// hold a long-poll response head for minutes; beyond it, <c>connection-timeout</c>.
    /// </summary>
    public TimeSpan StreamTimeout { get; init; } = TimeSpan.FromSeconds(1800);

    /// <summary>Idle keep-alive connections kept per target; 0 turns reuse off (every request says <c>Connection: close</c>).</summary>
    public int PoolMaxIdlePerTarget { get; init; } = 64;

    /// <summary>An idle pooled connection is closed after this long (upstream's pool TTL is 55 s).</summary>
    public TimeSpan PoolIdleTimeout { get; init; } = TimeSpan.FromSeconds(55);

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(45);

    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Offer permessage-deflate to WebSocket backends even when the request did not ask for it (<c>--compression</c>).</summary>
    public bool Compression { get; init; }

    /// <summary>How long one side's WebSocket close may go unanswered before the session is cancelled.</summary>
    public TimeSpan WebSocketCloseTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
