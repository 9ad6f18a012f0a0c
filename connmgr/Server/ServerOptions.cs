using Pushpin.Connmgr.Transport;

namespace Pushpin.Connmgr.Server;

/// <summary>Settings of the HTTP server side (from the command line).</summary>
internal sealed record ServerOptions
{
    public required IReadOnlyList<ListenSpec> Listen { get; init; }

    /// <summary>Base of the zhttp requester sockets (PUSH N, ROUTER N+1, SUB N+2).</summary>
    /// <remarks>Null when every listener is <c>,req</c>.</remarks>
    public string? ZhttpBase { get; init; }

    /// <summary>Where the req-mode DEALER binds (<c>--zclient-req</c>); needed by <c>,req</c> listeners.</summary>
    public IReadOnlyList<string> ZhttpReqSpecs { get; init; } = [];

    /// <summary>req mode: a whole request and its response must be done within this time.</summary>
    public TimeSpan ReqTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>req mode: the largest request body (413 beyond) and response body (502 beyond).</summary>
    public int BodyBufferSize { get; init; } = 100000;

    /// <summary>req mode: client connections on <c>,req</c> listeners.</summary>
    public int ReqMaxConnections { get; init; } = 100;

    public string InstanceId { get; init; } = "connmgr";

    /// <summary>Request head limit, response credits granted, and body chunk size.</summary>
    public int BufferSize { get; init; } = 8192;

    public int MaxConnections { get; init; } = 10000;

    /// <summary>Where <c>NAME.crt</c>/<c>NAME.key</c> identities of TLS listeners live (<c>--tls-identities-dir</c>; upstream's default is the working directory).</summary>
    public string TlsIdentitiesDir { get; init; } = ".";

    /// <summary>Offer permessage-deflate to WebSocket clients that ask for it (<c>--compression</c>).</summary>
    public bool Compression { get; init; }

    /// <summary>A request head that started arriving must be complete within this time (408).</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A keep-alive connection with no request arriving for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A session that receives nothing for this long is over (internals.md §3.8).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Once either side of a WebSocket sent its close, how long to wait for the other's before dropping the connection.</summary>
    public TimeSpan WebSocketCloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Granularity of every timeout: one sweep over all connections per tick.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);
}
