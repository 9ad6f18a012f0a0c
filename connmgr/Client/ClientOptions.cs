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

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(45);

    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Offer permessage-deflate to WebSocket backends even when the request did not ask for it (<c>--compression</c>).</summary>
    public bool Compression { get; init; }

    /// <summary>How long one side's WebSocket close may go unanswered before the session is cancelled.</summary>
    public TimeSpan WebSocketCloseTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
