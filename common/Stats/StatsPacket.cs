namespace Pushpin.Common.Stats;

/// <summary>
/// One stats message (internals.md §5.2). A single class for every type, as upstream's
/// StatsPacket; each property says which types use it. Optional wire fields are null when
/// absent so a decoded packet tells "absent" from "zero".
/// </summary>
public sealed class StatsPacket
{
    public StatsPacketType Type { get; set; }

    /// <summary>Sender instance id (every type).</summary>
    public string? From { get; set; }

    /// <summary>Route id; null or empty for the unnamed route (every type, optional).</summary>
    public string? Route { get; set; }

    /// <summary>Activity units (activity) or number of deliveries (message).</summary>
    public long Count { get; set; }

    /// <summary>Connection id (conn).</summary>
    public string? ConnectionId { get; set; }

    /// <summary>http or ws (conn, connected).</summary>
    public StatsConnectionType ConnectionType { get; set; }

    /// <summary>Client address as text (conn, connected, optional).</summary>
    public string? PeerAddress { get; set; }

    /// <summary>TLS client (conn, connected; only sent when true).</summary>
    public bool Ssl { get; set; }

    /// <summary>Seconds before a consumer forgets the entry (conn, sub, conn-max).</summary>
    public int Ttl { get; set; }

    /// <summary>response, stream or ws (sub).</summary>
    public string? Mode { get; set; }

    /// <summary>Channel name (message, sub).</summary>
    public string? Channel { get; set; }

    /// <summary>Published item id (message, optional).</summary>
    public string? ItemId { get; set; }

    /// <summary>http-response, http-stream or ws-message (message).</summary>
    public string? Transport { get; set; }

    /// <summary>Message size in blocks (message, optional).</summary>
    public long? Blocks { get; set; }

    /// <summary>Sessions on the channel (sub, subscribed, optional).</summary>
    public long? Subscribers { get; set; }

    /// <summary>Most concurrent connections in the interval (report <c>connections</c>) or the current maximum (conn-max <c>max</c>).</summary>
    public long? ConnectionsMax { get; set; }

    /// <summary>Connection-minutes (report <c>minutes</c>).</summary>
    public long? ConnectionsMinutes { get; set; }

    /// <summary>Messages received by the publish inputs (report <c>received</c>).</summary>
    public long? MessagesReceived { get; set; }

    /// <summary>Messages delivered to clients (report <c>sent</c>).</summary>
    public long? MessagesSent { get; set; }

    /// <summary>Of those, http-response deliveries (report <c>http-response-sent</c>).</summary>
    public long? HttpResponseMessagesSent { get; set; }

    /// <summary>report <c>blocks-received</c>, when block accounting is on.</summary>
    public long? BlocksReceived { get; set; }

    /// <summary>report <c>blocks-sent</c>, when block accounting is on.</summary>
    public long? BlocksSent { get; set; }

    /// <summary>Milliseconds the report covers (report).</summary>
    public long? Duration { get; set; }

    /// <summary>Byte and message counters (report); null when none were sent.</summary>
    public StatsCounters? Counters { get; set; }

    /// <summary>Requests received since the last counts message (counts; only sent when &gt; 0).</summary>
    public long? RequestsReceived { get; set; }

    /// <summary>Retry sequence of lingering connections (conn-max, optional).</summary>
    public long? RetrySeq { get; set; }

    /// <summary>The wire type (topic) of a packet type.</summary>
    public static string WireType(StatsPacketType type) => type switch
    {
        StatsPacketType.Activity => "activity",
        StatsPacketType.Message => "message",
        StatsPacketType.Connected or StatsPacketType.Disconnected => "conn",
        StatsPacketType.Subscribed or StatsPacketType.Unsubscribed => "sub",
        StatsPacketType.Report => "report",
        StatsPacketType.Counts => "counts",
        StatsPacketType.ConnectionsMax => "conn-max",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>A shallow copy (the counters are shared), e.g. to re-stamp <see cref="From"/>.</summary>
    public StatsPacket Clone() => (StatsPacket)MemberwiseClone();
}
