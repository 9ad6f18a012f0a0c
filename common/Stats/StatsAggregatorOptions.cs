namespace Pushpin.Common.Stats;

/// <summary>
/// Settings of a <see cref="StatsAggregator"/>, named after the config keys they come from
/// (behavior.md §9: <c>stats_connection_ttl</c>, <c>stats_subscription_ttl</c>,
/// <c>subscription_linger</c>, <c>stats_report_interval</c>, <c>stats_connection_send</c>,
/// <c>stats_connections_max_ttl</c>).
/// </summary>
public sealed class StatsAggregatorOptions
{
    /// <summary>Upstream's coalescing delay for activity, counts and conn-max.</summary>
    public static readonly TimeSpan ActivityDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>How often refreshes and expiries are looked at (upstream's REFRESH_INTERVAL).</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>The <c>from</c> of every packet (proxy_&lt;pid&gt;, handler_&lt;pid&gt;).</summary>
    public string InstanceId { get; init; } = string.Empty;

    /// <summary><c>stats_connection_ttl</c>: <c>conn</c> entries are re-sent at 3/4 of it.</summary>
    public TimeSpan ConnectionTtl { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary><c>stats_subscription_ttl</c>: <c>sub</c> entries are re-sent at 3/4 of it.</summary>
    public TimeSpan SubscriptionTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>subscription_linger</c>: how long a lingering removal waits before <c>unavailable</c>.</summary>
    public TimeSpan SubscriptionLinger { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a connection removed with linger (handed off to another instance) stays counted
    /// before it is dropped without an <c>unavailable</c> (upstream: 60 s).
    /// </summary>
    public TimeSpan ConnectionLinger { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>stats_report_interval</c>; zero turns reports (and connection accounting) off.</summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>stats_connection_send</c>: publish per-connection <c>conn</c> messages.</summary>
    public bool ConnectionSend { get; init; } = true;

    /// <summary>
    /// Produce <c>conn-max</c> packets on <see cref="StatsAggregator.ConnectionsMaxReady"/>
    /// (the proxy does when <c>stats_connection_send</c> is off, and sends them over zrpc).
    /// </summary>
    public bool ConnectionsMaxSend { get; init; }

    /// <summary><c>stats_connections_max_ttl</c>.</summary>
    public TimeSpan ConnectionsMaxTtl { get; init; } = TimeSpan.FromSeconds(60);
}
