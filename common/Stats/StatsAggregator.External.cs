namespace Pushpin.Common.Stats;

public sealed partial class StatsAggregator
{
    private readonly Dictionary<string, Dictionary<string, ExternalConnection>> _externalByFrom = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _externalByRoute = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, (long Value, long Expires)>> _externalMaxes = new(StringComparer.Ordinal);

    /// <summary>
    /// What the handler does with a packet read from the proxy's stats socket (upstream
    /// handlerengine): activity and counts merge into ours; <c>conn</c> is tracked for reports and
    /// re-published under our <c>from</c> (when connection sending is on); <c>report</c> merges
    /// into our report and is not forwarded. Other types are ignored.
    /// </summary>
    public void MergeFromPeer(StatsPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        switch (packet.Type)
        {
            case StatsPacketType.Activity when packet.Count > 0:
                AddActivity(packet.Route, packet.Count);
                break;
            case StatsPacketType.Counts when packet.RequestsReceived > 0:
                AddRequestsReceived(packet.RequestsReceived.Value);
                break;
            case StatsPacketType.Connected or StatsPacketType.Disconnected when _options.ConnectionSend:
                if (!ProcessExternalPacket(packet, mergeConnectionReport: false))
                {
                    SendPacket(packet);
                }
                break;
            case StatsPacketType.Report:
                ProcessExternalPacket(packet, mergeConnectionReport: !_options.ConnectionSend);
                break;
        }
    }

    /// <summary>
    /// Accounts for a <c>conn</c>, <c>conn-max</c> or <c>report</c> packet from another instance
    /// (upstream's processExternalPacket). Returns true when the packet should not be forwarded.
    /// </summary>
    public bool ProcessExternalPacket(StatsPacket packet, bool mergeConnectionReport)
    {
        ArgumentNullException.ThrowIfNull(packet);
        bool result;
        lock (_lock)
        {
            if (!_reporting)
            {
                return false;
            }
            var now = Now();
            var from = packet.From ?? string.Empty;
            var route = RouteKey(packet.Route);
            switch (packet.Type)
            {
                case StatsPacketType.Connected or StatsPacketType.Disconnected:
                    var id = packet.ConnectionId ?? string.Empty;
                    var replacing = false;
                    var lastReport = now;
                    if (packet.Type == StatsPacketType.Connected && _connections.TryGetValue(id, out var local))
                    {
                        if (!local.Linger)
                        {
                            // A live local connection wins over what another instance says.
                            return false;
                        }
                        // Our lingering entry is now the other instance's: take over its minutes.
                        replacing = true;
                        lastReport = local.LastReport;
                        Forget(local);
                    }
                    // The same connection under another source moved: forget the old entry.
                    foreach (var (otherFrom, byId) in _externalByFrom.ToList())
                    {
                        if (otherFrom != from && byId.TryGetValue(id, out var stale))
                        {
                            RemoveExternal(stale);
                        }
                    }
                    _externalByFrom.TryGetValue(from, out var mine);
                    ExternalConnection? x = null;
                    mine?.TryGetValue(id, out x);
                    if (packet.Type == StatsPacketType.Connected)
                    {
                        if (x is null)
                        {
                            x = new ExternalConnection(id, route, from) { LastReport = lastReport };
                            if (mine is null)
                            {
                                mine = new Dictionary<string, ExternalConnection>(StringComparer.Ordinal);
                                _externalByFrom[from] = mine;
                            }
                            mine[id] = x;
                            _externalByRoute[route] = _externalByRoute.GetValueOrDefault(route) + 1;
                            Schedule(x, now + (long)_options.ConnectionTtl.TotalMilliseconds);
                            UpdateConnectionsMax(route, now);
                            if (!replacing)
                            {
                                GetReport(route, now).Minutes++;
                            }
                        }
                        else
                        {
                            Schedule(x, now + (long)_options.ConnectionTtl.TotalMilliseconds);
                        }
                        UpdateMinutes(x, now);
                    }
                    else if (x is not null)
                    {
                        UpdateMinutes(x, now);
                        RemoveExternal(x);
                        UpdateConnectionsMax(x.Route, now);
                    }
                    result = replacing;
                    break;
                case StatsPacketType.ConnectionsMax:
                    if (!_externalMaxes.TryGetValue(route, out var maxes))
                    {
                        maxes = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
                        _externalMaxes[route] = maxes;
                    }
                    maxes[from] = (Math.Max(packet.ConnectionsMax ?? 0, 0), now + (Math.Max(packet.Ttl, 0) * 1000L));
                    UpdateConnectionsMax(route, now);
                    result = true;
                    break;
                case StatsPacketType.Report:
                    var report = GetReport(route, now);
                    if (packet.Counters is { } counters)
                    {
                        foreach (var c in StatsCounters.All)
                        {
                            report.AddCounter(c, Math.Max(counters[c] ?? 0, 0));
                        }
                    }
                    if (mergeConnectionReport)
                    {
                        report.ExternalMinutes[from] = report.ExternalMinutes.GetValueOrDefault(from) + Math.Max(packet.ConnectionsMinutes ?? 0, 0);
                    }
                    result = true;
                    break;
                default:
                    result = false;
                    break;
            }
        }
        return result;
    }

    /// <summary>Number of connections known through other instances' stats.</summary>
    public int ExternalConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _externalByFrom.Values.Sum(d => d.Count);
            }
        }
    }

    private ExternalConnection? TakeExternalConnection(string id)
    {
        foreach (var byId in _externalByFrom.Values)
        {
            if (byId.TryGetValue(id, out var x))
            {
                RemoveExternal(x);
                return x;
            }
        }
        return null;
    }

    private void RemoveExternal(ExternalConnection x)
    {
        x.Removed = true;
        if (_externalByFrom.TryGetValue(x.From, out var byId))
        {
            byId.Remove(x.Id);
            if (byId.Count == 0)
            {
                _externalByFrom.Remove(x.From);
            }
        }
        var left = _externalByRoute.GetValueOrDefault(x.Route) - 1;
        if (left > 0)
        {
            _externalByRoute[x.Route] = left;
        }
        else
        {
            _externalByRoute.Remove(x.Route);
        }
    }

    private long ExternalMaxTotal(string route)
    {
        if (!_externalMaxes.TryGetValue(route, out var maxes))
        {
            return 0;
        }
        var total = 0L;
        foreach (var (value, _) in maxes.Values)
        {
            total += value;
        }
        return total;
    }

    private void ExpireExternalMaxes(long now)
    {
        if (_externalMaxes.Count == 0)
        {
            return;
        }
        foreach (var (route, maxes) in _externalMaxes.ToList())
        {
            foreach (var (from, entry) in maxes.ToList())
            {
                if (now >= entry.Expires)
                {
                    maxes.Remove(from);
                }
            }
            if (maxes.Count == 0)
            {
                _externalMaxes.Remove(route);
            }
        }
    }

    private sealed class ExternalConnection(string id, string route, string from) : Tracked(id, route)
    {
        public string From { get; } = from;
    }
}
