namespace Pushpin.Common.Stats;

/// <summary>
/// What a daemon tells about its connections, subscriptions and traffic, turned into the
/// stats packets upstream's StatsManager publishes, at upstream's times: activity and counts
/// coalesced for 100 ms, <c>conn</c>/<c>sub</c> sent on change and re-sent at 3/4 of their
/// TTL, <c>unavailable</c> on removal (or after the linger), a <c>report</c> per route every
/// report interval.
/// </summary>
/// <remarks>
/// Safe to call from any thread: state is guarded by one lock (no socket is touched here).
/// Packets go to the sink given at construction while the lock is held, so their order is
/// the order of events; the sink must be quick and must not call back into the aggregator
/// (<see cref="StatsPublisher.Publish"/> just queues). Events are raised after the lock is
/// released. Time comes from the injected <see cref="TimeProvider"/> so tests drive it.
/// </remarks>
public sealed partial class StatsAggregator : IDisposable
{
    private readonly Lock _lock = new();
    private readonly StatsAggregatorOptions _options;
    private readonly Action<StatsPacket> _sink;
    private readonly TimeProvider _time;
    private readonly ITimer _activityTimer;
    private readonly ITimer _refreshTimer;
    private readonly ITimer? _reportTimer;
    private readonly long _connectionRefreshMs;
    private readonly long _subscriptionRefreshMs;
    private readonly bool _reporting;

    // Entries waiting for a refresh or an expiry, by due time. Entries are not removed when they
    // change or go away: a popped entry whose Due no longer matches (or that is Removed) is skipped.
    private readonly PriorityQueue<Scheduled, long> _due = new();

    private readonly Dictionary<string, long> _activity = new(StringComparer.Ordinal);
    private long _requestsReceived;
    private bool _activityArmed;

    private readonly Dictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Mode, string Channel), Subscription> _subscriptions = new();
    private readonly Dictionary<string, int> _localByRoute = new(StringComparer.Ordinal);
    private bool _disposed;

    public StatsAggregator(StatsAggregatorOptions options, Action<StatsPacket> sink, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        _options = options;
        _sink = sink;
        _time = timeProvider ?? TimeProvider.System;
        _connectionRefreshMs = RefreshDelay(options.ConnectionTtl);
        _subscriptionRefreshMs = RefreshDelay(options.SubscriptionTtl);
        _reporting = options.ReportInterval > TimeSpan.Zero;
        _connectionsMaxLastRefresh = Now();
        _activityTimer = _time.CreateTimer(_ => OnActivityTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _refreshTimer = _time.CreateTimer(_ => OnRefreshTimer(), null, StatsAggregatorOptions.RefreshInterval, StatsAggregatorOptions.RefreshInterval);
        if (_reporting)
        {
            _reportTimer = _time.CreateTimer(_ => OnReportTimer(), null, options.ReportInterval, options.ReportInterval);
        }
    }

    /// <summary>A lingering subscription ended (or one was removed without linger): the daemon may drop its SUB topic.</summary>
    public event Action<string, string>? Unsubscribed;

    /// <summary>Connections whose <c>conn</c> was just re-sent (upstream's connectionsRefreshed).</summary>
    public event Action<IReadOnlyList<string>>? ConnectionsRefreshed;

    /// <summary>A <c>conn-max</c> packet to send (the proxy sends it to the handler over zrpc, not on the stats socket).</summary>
    public event Action<StatsPacket>? ConnectionsMaxReady;

    public StatsAggregatorOptions Options => _options;

    public bool ConnectionSendEnabled => _options.ConnectionSend;

    // 3/4 of the TTL, as upstream; at least one refresh tick so a zero TTL cannot spin.
    private static long RefreshDelay(TimeSpan ttl) => Math.Max((long)ttl.TotalMilliseconds * 3 / 4, (long)StatsAggregatorOptions.RefreshInterval.TotalMilliseconds);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string RouteKey(string? route) => route ?? string.Empty;

    /// <summary>Counts request/message activity on a route; sent coalesced 100 ms after the first.</summary>
    public void AddActivity(string? route, long count = 1)
    {
        lock (_lock)
        {
            var key = RouteKey(route);
            _activity[key] = _activity.GetValueOrDefault(key) + count;
            ArmActivity();
        }
    }

    /// <summary>Counts received requests; sent as <c>counts</c> with the next activity flush.</summary>
    public void AddRequestsReceived(long count)
    {
        lock (_lock)
        {
            _requestsReceived += count;
            ArmActivity();
        }
    }

    /// <summary>Publishes a <c>message</c> right away (one per published item and transport).</summary>
    public void AddMessage(string channel, string? itemId, string transport, long count = 1, long? blocks = null)
    {
        lock (_lock)
        {
            Emit(new StatsPacket
            {
                Type = StatsPacketType.Message, From = _options.InstanceId, Channel = channel, ItemId = itemId,
                Transport = transport, Count = count, Blocks = blocks,
            });
        }
    }

    /// <summary>
    /// Starts tracking a connection: <c>conn</c> now (unless <paramref name="quiet"/>) and every
    /// 3/4 TTL after, one connection-minute counted at once. Adding a known id replaces it silently.
    /// </summary>
    public void AddConnection(string id, string? route, StatsConnectionType type, string? peerAddress = null, bool ssl = false, bool quiet = false)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_lock)
        {
            var now = Now();
            var routeKey = RouteKey(route);
            var replacing = false;
            var lastReport = now;
            if (_reporting && TakeExternalConnection(id) is { } external)
            {
                replacing = true;
                lastReport = external.LastReport;
            }
            if (_connections.TryGetValue(id, out var old))
            {
                replacing = true;
                lastReport = old.LastReport;
                Forget(old);
            }
            var c = new Connection(id, routeKey, type, peerAddress, ssl) { LastReport = lastReport };
            _connections[id] = c;
            _localByRoute[routeKey] = _localByRoute.GetValueOrDefault(routeKey) + 1;
            Schedule(c, now + _connectionRefreshMs);
            UpdateConnectionsMax(routeKey, now);
            if (_reporting && !replacing)
            {
                // Minutes are rounded up: the first one counts at once.
                GetReport(routeKey, now).Minutes++;
            }
            if (!quiet)
            {
                SendConnected(c);
            }
        }
    }

    /// <summary>
    /// Stops tracking a connection and publishes <c>conn</c> with <c>unavailable</c>. With
    /// <paramref name="linger"/> (the connection was handed to another instance, which will
    /// announce it) nothing is sent: the entry stays counted, unrefreshed, for the connection
    /// linger, then is dropped silently, unless the other instance's <c>conn</c> replaces it first.
    /// False if unknown.
    /// </summary>
    public bool RemoveConnection(string id, bool linger = false)
    {
        lock (_lock)
        {
            if (!_connections.TryGetValue(id, out var c))
            {
                return false;
            }
            var now = Now();
            UpdateMinutes(c, now);
            if (linger)
            {
                if (!c.Linger)
                {
                    c.Linger = true;
                    Schedule(c, now + (long)_options.ConnectionLinger.TotalMilliseconds);
                }
                return true;
            }
            if (_options.ConnectionSend)
            {
                Emit(new StatsPacket { Type = StatsPacketType.Disconnected, From = _options.InstanceId, Route = NullIfEmpty(c.Route), ConnectionId = id });
            }
            Forget(c);
            UpdateConnectionsMax(c.Route, now);
            return true;
        }
    }

    /// <summary>Re-sends a connection's <c>conn</c> now (e.g. before handing it off).</summary>
    public void RefreshConnection(string id)
    {
        lock (_lock)
        {
            if (_connections.TryGetValue(id, out var c))
            {
                SendConnected(c);
            }
        }
    }

    /// <summary>Whether a local connection with this id is tracked (the proxy's conncheck).</summary>
    public bool HasConnection(string id)
    {
        lock (_lock)
        {
            return _connections.ContainsKey(id);
        }
    }

    /// <summary>Number of local connections tracked.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>
    /// A channel has <paramref name="subscribers"/> sessions in a mode: <c>sub</c> at once when new
    /// (or back from lingering), at the next refresh tick when only the count changed.
    /// </summary>
    public void AddSubscription(string mode, string channel, long subscribers)
    {
        lock (_lock)
        {
            var now = Now();
            if (!_subscriptions.TryGetValue((mode, channel), out var s))
            {
                s = new Subscription(mode, channel) { Subscribers = subscribers };
                _subscriptions[(mode, channel)] = s;
                Schedule(s, now + _subscriptionRefreshMs);
                SendSubscribed(s);
                return;
            }
            var oldCount = s.Subscribers;
            s.Subscribers = subscribers;
            if (s.Linger)
            {
                s.Linger = false;
                Schedule(s, now + _subscriptionRefreshMs);
                SendSubscribed(s);
            }
            else if (oldCount != subscribers)
            {
                Schedule(s, now);
            }
        }
    }

    /// <summary>
    /// The last session of a channel left: <c>sub</c> with <c>unavailable</c> now, or after the
    /// subscription linger when <paramref name="linger"/> (a new subscriber meanwhile cancels it).
    /// </summary>
    public void RemoveSubscription(string mode, string channel, bool linger)
    {
        var removed = false;
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue((mode, channel), out var s))
            {
                return;
            }
            if (linger)
            {
                if (!s.Linger)
                {
                    s.Linger = true;
                    Schedule(s, Now() + (long)_options.SubscriptionLinger.TotalMilliseconds);
                }
            }
            else
            {
                SendUnsubscribed(s);
                ForgetSubscription(s);
                removed = true;
            }
        }
        if (removed)
        {
            Unsubscribed?.Invoke(mode, channel);
        }
    }

    /// <summary>Number of subscriptions tracked (lingering ones included).</summary>
    public int SubscriptionCount
    {
        get
        {
            lock (_lock)
            {
                return _subscriptions.Count;
            }
        }
    }

    /// <summary>A message arrived on a publish input (report <c>received</c>).</summary>
    public void AddMessageReceived(string? route, long? blocks = null)
    {
        lock (_lock)
        {
            if (!_reporting)
            {
                return;
            }
            var r = GetReport(RouteKey(route), Now());
            r.Received++;
            if (blocks > 0)
            {
                r.BlocksReceived = Math.Max(r.BlocksReceived, 0) + blocks.Value;
            }
        }
    }

    /// <summary>A message was delivered to a client (report <c>sent</c>, <c>http-response-sent</c>).</summary>
    public void AddMessageSent(string? route, string transport, long? blocks = null)
    {
        lock (_lock)
        {
            if (!_reporting)
            {
                return;
            }
            var r = GetReport(RouteKey(route), Now());
            r.Sent++;
            if (transport == "http-response")
            {
                r.HttpResponseSent++;
            }
            if (blocks > 0)
            {
                r.BlocksSent = Math.Max(r.BlocksSent, 0) + blocks.Value;
            }
        }
    }

    /// <summary>Adds to one of the byte/message counters of the route's report.</summary>
    public void IncrementCounter(string? route, StatsCounter counter, long count = 1)
    {
        lock (_lock)
        {
            if (!_reporting)
            {
                return;
            }
            GetReport(RouteKey(route), Now()).AddCounter(counter, count);
        }
    }

    /// <summary>Publishes a packet as is, stamped with our <c>from</c> (the handler re-publishing the proxy's <c>conn</c>).</summary>
    public void SendPacket(StatsPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        lock (_lock)
        {
            var p = packet.Clone();
            p.From = _options.InstanceId;
            Emit(p);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        _activityTimer.Dispose();
        _refreshTimer.Dispose();
        _reportTimer?.Dispose();
    }

    private void Emit(StatsPacket packet)
    {
        if (!_disposed)
        {
            _sink(packet);
        }
    }

    private static string? NullIfEmpty(string route) => route.Length == 0 ? null : route;

    private void SendConnected(Connection c)
    {
        if (!_options.ConnectionSend)
        {
            return;
        }
        Emit(new StatsPacket
        {
            Type = StatsPacketType.Connected, From = _options.InstanceId, Route = NullIfEmpty(c.Route), ConnectionId = c.Id,
            ConnectionType = c.Type, PeerAddress = c.PeerAddress, Ssl = c.Ssl, Ttl = (int)_options.ConnectionTtl.TotalSeconds,
        });
    }

    private void SendSubscribed(Subscription s) => Emit(new StatsPacket
    {
        Type = StatsPacketType.Subscribed, From = _options.InstanceId, Mode = s.Mode, Channel = s.Channel,
        Ttl = (int)_options.SubscriptionTtl.TotalSeconds, Subscribers = s.Subscribers,
    });

    private void SendUnsubscribed(Subscription s) => Emit(new StatsPacket
    {
        Type = StatsPacketType.Unsubscribed, From = _options.InstanceId, Mode = s.Mode, Channel = s.Channel,
    });

    private void Schedule(Scheduled entry, long due)
    {
        entry.Due = due;
        _due.Enqueue(entry, due);
    }

    private void Forget(Connection c)
    {
        c.Removed = true;
        _connections.Remove(c.Id);
        var left = _localByRoute.GetValueOrDefault(c.Route) - 1;
        if (left > 0)
        {
            _localByRoute[c.Route] = left;
        }
        else
        {
            _localByRoute.Remove(c.Route);
        }
    }

    private void ForgetSubscription(Subscription s)
    {
        s.Removed = true;
        _subscriptions.Remove((s.Mode, s.Channel));
    }

    private void UpdateMinutes(Tracked c, long now)
    {
        // A lingering connection's minutes are the new owner's to count.
        if (!_reporting || c is Connection { Linger: true })
        {
            return;
        }
        var minutes = (now - c.LastReport) / 60000;
        if (minutes > 0)
        {
            // Only advance by whole minutes so the remainder counts next time.
            c.LastReport += minutes * 60000;
            GetReport(c.Route, now).Minutes += minutes;
        }
    }

    /// <summary>Something with a due time in <see cref="_due"/>.</summary>
    private abstract class Scheduled
    {
        public long Due { get; set; }

        public bool Removed { get; set; }
    }

    /// <summary>A connection counted in reports (local or seen through another instance's stats).</summary>
    private abstract class Tracked(string id, string route) : Scheduled
    {
        public string Id { get; } = id;

        public string Route { get; } = route;

        public long LastReport { get; set; }
    }

    private sealed class Connection(string id, string route, StatsConnectionType type, string? peerAddress, bool ssl) : Tracked(id, route)
    {
        public StatsConnectionType Type { get; } = type;

        public string? PeerAddress { get; } = peerAddress;

        public bool Ssl { get; } = ssl;

        public bool Linger { get; set; }
    }

    private sealed class Subscription(string mode, string channel) : Scheduled
    {
        public string Mode { get; } = mode;

        public string Channel { get; } = channel;

        public long Subscribers { get; set; }

        public bool Linger { get; set; }
    }
}
