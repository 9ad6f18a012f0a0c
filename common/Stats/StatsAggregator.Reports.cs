namespace Pushpin.Common.Stats;

public sealed partial class StatsAggregator
{
    private readonly Dictionary<string, Report> _reports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConnectionsMaxState> _connectionsMax = new(StringComparer.Ordinal);
    private readonly HashSet<string> _connectionsMaxNeedSend = new(StringComparer.Ordinal);
    private long _connectionsMaxLastRefresh = -1; // set at construction, as upstream

    /// <summary>Sends the report of a route now and starts a new interval (upstream's flushReport).</summary>
    public void FlushReport(string? route)
    {
        lock (_lock)
        {
            if (!_reporting)
            {
                return;
            }
            var key = RouteKey(route);
            var now = Now();
            var report = GetReport(key, now);
            var packet = ReportToPacket(report, key, now);
            if (report.IsEmpty)
            {
                _reports.Remove(key);
            }
            Emit(packet);
        }
    }

    /// <summary>Sets the retry sequence carried by the route's <c>conn-max</c> packets.</summary>
    public void SetRetrySeq(string? route, long value)
    {
        lock (_lock)
        {
            GetConnectionsMax(RouteKey(route)).RetrySeq = value;
        }
    }

    private Report GetReport(string route, long now)
    {
        if (!_reports.TryGetValue(route, out var r))
        {
            r = new Report { StartTime = now };
            _reports[route] = r;
        }
        return r;
    }

    private ConnectionsMaxState GetConnectionsMax(string route)
    {
        if (!_connectionsMax.TryGetValue(route, out var cm))
        {
            cm = new ConnectionsMaxState();
            _connectionsMax[route] = cm;
        }
        return cm;
    }

    /// <summary>The connection count of a route changed: track the interval's maximum.</summary>
    private void UpdateConnectionsMax(string route, long now)
    {
        var count = _localByRoute.GetValueOrDefault(route) + _externalByRoute.GetValueOrDefault(route) + ExternalMaxTotal(route);
        if (_options.ConnectionsMaxSend)
        {
            var cm = GetConnectionsMax(route);
            cm.Current = count;
            cm.Max = Math.Max(cm.Max, count);
            if (cm.ValueToSend != cm.LastSent)
            {
                _connectionsMaxNeedSend.Add(route);
                ArmActivity();
            }
            else
            {
                _connectionsMaxNeedSend.Remove(route);
            }
        }
        if (_reporting)
        {
            var r = GetReport(route, now);
            r.ConnectionsMax = r.ConnectionsMaxStale ? count : Math.Max(r.ConnectionsMax, count);
            r.ConnectionsMaxStale = false;
        }
    }

    private StatsPacket ReportToPacket(Report report, string route, long now)
    {
        if (report.ConnectionsMaxStale)
        {
            UpdateConnectionsMax(route, now);
        }
        var externalMinutes = 0L;
        foreach (var m in report.ExternalMinutes.Values)
        {
            externalMinutes += m;
        }
        var p = new StatsPacket
        {
            Type = StatsPacketType.Report,
            From = _options.InstanceId,
            Route = NullIfEmpty(route),
            ConnectionsMax = report.ConnectionsMax,
            ConnectionsMinutes = report.Minutes + externalMinutes,
            MessagesReceived = report.Received,
            MessagesSent = report.Sent,
            HttpResponseMessagesSent = report.HttpResponseSent,
            BlocksReceived = report.BlocksReceived >= 0 ? report.BlocksReceived : null,
            BlocksSent = report.BlocksSent >= 0 ? report.BlocksSent : null,
            Duration = now - report.StartTime,
            Counters = StatsCounters.FromValues(report.Counters),
        };
        report.Reset(now);
        return p;
    }

    private List<StatsPacket>? FlushConnectionsMax(long now)
    {
        if (_connectionsMaxNeedSend.Count == 0)
        {
            return null;
        }
        var packets = new List<StatsPacket>();
        foreach (var route in _connectionsMaxNeedSend.ToList())
        {
            var cm = GetConnectionsMax(route);
            if (cm.ValueToSend != cm.LastSent)
            {
                packets.Add(ConnectionsMaxPacket(route, cm, now));
            }
            if (cm.ValueToSend == cm.LastSent)
            {
                _connectionsMaxNeedSend.Remove(route);
            }
        }
        if (_connectionsMaxNeedSend.Count > 0)
        {
            ArmActivity();
        }
        return packets;
    }

    private List<StatsPacket>? RefreshConnectionsMax(long now)
    {
        if (!_options.ConnectionsMaxSend)
        {
            return null;
        }
        var ttl = (long)_options.ConnectionsMaxTtl.TotalMilliseconds;
        if (_connectionsMaxLastRefresh < 0)
        {
            _connectionsMaxLastRefresh = now;
        }
        if (now < _connectionsMaxLastRefresh + (ttl * 3 / 4))
        {
            return null;
        }
        _connectionsMaxLastRefresh = now;
        List<StatsPacket>? packets = null;
        foreach (var route in _connectionsMax.Keys.ToList())
        {
            var cm = _connectionsMax[route];
            if (cm.ValueToSend == 0)
            {
                if (cm.LastSentTime >= 0 && now >= cm.LastSentTime + ttl)
                {
                    _connectionsMax.Remove(route);
                }
                continue;
            }
            (packets ??= []).Add(ConnectionsMaxPacket(route, cm, now));
        }
        return packets;
    }

    private StatsPacket ConnectionsMaxPacket(string route, ConnectionsMaxState cm, long now)
    {
        var value = cm.ValueToSend;
        cm.LastSent = value;
        cm.LastSentTime = now;
        cm.Max = cm.Current;
        return new StatsPacket
        {
            Type = StatsPacketType.ConnectionsMax, From = _options.InstanceId, Route = NullIfEmpty(route),
            ConnectionsMax = value, Ttl = (int)_options.ConnectionsMaxTtl.TotalSeconds, RetrySeq = cm.RetrySeq >= 0 ? cm.RetrySeq : null,
        };
    }

    /// <summary>One route's numbers for the current report interval.</summary>
    private sealed class Report
    {
        public long ConnectionsMax { get; set; }

        // Right after a report the maximum restarts from the current count.
        public bool ConnectionsMaxStale { get; set; } = true;

        public long Minutes { get; set; }

        public long Received { get; set; }

        public long Sent { get; set; }

        public long HttpResponseSent { get; set; }

        public long BlocksReceived { get; set; } = -1;

        public long BlocksSent { get; set; } = -1;

        public long StartTime { get; set; }

        public long[] Counters { get; } = new long[StatsCounters.Count];

        public bool CountersEmpty { get; set; } = true;

        /// <summary>Connection-minutes reported by other instances, by their id.</summary>
        public Dictionary<string, long> ExternalMinutes { get; } = new(StringComparer.Ordinal);

        public bool IsEmpty => ConnectionsMax == 0 && Minutes == 0 && Received == 0 && Sent == 0 && HttpResponseSent == 0
            && BlocksReceived <= 0 && BlocksSent <= 0 && CountersEmpty;

        public void AddCounter(StatsCounter counter, long count)
        {
            Counters[(int)counter] += count;
            if (count > 0)
            {
                CountersEmpty = false;
            }
        }

        public void Reset(long now)
        {
            StartTime = now;
            ConnectionsMaxStale = true;
            Minutes = 0;
            Received = 0;
            Sent = 0;
            HttpResponseSent = 0;
            BlocksReceived = -1;
            BlocksSent = -1;
            Array.Clear(Counters);
            CountersEmpty = true;
            ExternalMinutes.Clear();
        }
    }

    /// <summary>conn-max bookkeeping of one route (upstream's ConnectionsMax).</summary>
    private sealed class ConnectionsMaxState
    {
        public long RetrySeq { get; set; } = -1;

        public long Current { get; set; }

        public long Max { get; set; }

        public long LastSent { get; set; }

        public long LastSentTime { get; set; } = -1;

        // A peak since the last send is reported once, then the current value.
        public long ValueToSend => Max > LastSent ? Max : Current;
    }
}
