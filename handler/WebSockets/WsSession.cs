namespace Pushpin.Handler.WebSockets;

/// <summary>
/// One client WebSocket the proxy keeps in GRIP mode, as the handler sees it (upstream's
/// WsSession): its channels, meta, keep-alive message and pending delayed message.
/// </summary>
internal sealed class WsSession
{
    public WsSession(string cid, string peer)
    {
        Cid = cid;
        Peer = peer;
    }

    public string Cid { get; }

    /// <summary>The proxy instance that owns the connection (ws-control ROUTER identity).</summary>
    public string Peer { get; set; }

    public string? Uri { get; set; }

    public string? Route { get; set; }

    public string ChannelPrefix { get; set; } = string.Empty;

    public int TtlSeconds { get; set; } = 60;

    public long ExpiresMs { get; set; }

    /// <summary>Full channel names (prefix applied).</summary>
    public HashSet<string> Channels { get; } = new(StringComparer.Ordinal);

    /// <summary>Filters given with a channel's <c>subscribe</c>, by full channel name.</summary>
    public Dictionary<string, IReadOnlyList<string>> ChannelFilters { get; } = new(StringComparer.Ordinal);

    /// <summary>The route's debug mode: filter failures close the connection with the reason.</summary>
    public bool Debug { get; set; }

    /// <summary>Channels from the route target's <c>sub=</c>: cannot be unsubscribed.</summary>
    public HashSet<string> ImplicitChannels { get; } = new(StringComparer.Ordinal);

    /// <summary>Subscription meta (<c>set-meta</c>), for filters.</summary>
    public Dictionary<string, string> Meta { get; } = new(StringComparer.Ordinal);

    public string? SessionId { get; set; }

    /// <summary>The keep-alive message the proxy asks for with <c>need-keep-alive</c>; null = none.</summary>
    public byte[]? KeepAliveMessage { get; set; }

    public string KeepAliveType { get; set; } = "text";

    public byte[]? DelayedMessage { get; set; }

    public string DelayedType { get; set; } = "text";

    public long DelayedDueMs { get; set; } = long.MaxValue;

    /// <summary>A published close went out: later items are ignored.</summary>
    public bool Closed { get; set; }
}
