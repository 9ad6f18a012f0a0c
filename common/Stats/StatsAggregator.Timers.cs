namespace Pushpin.Common.Stats;

public sealed partial class StatsAggregator
{
    private void ArmActivity()
    {
        if (!_activityArmed && !_disposed)
        {
            _activityArmed = true;
            _activityTimer.Change(StatsAggregatorOptions.ActivityDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnActivityTimer()
    {
        List<StatsPacket>? connMax = null;
        lock (_lock)
        {
            _activityArmed = false;
            if (_disposed)
            {
                return;
            }
            foreach (var (route, count) in _activity)
            {
                Emit(new StatsPacket { Type = StatsPacketType.Activity, From = _options.InstanceId, Route = NullIfEmpty(route), Count = count });
            }
            _activity.Clear();
            if (_requestsReceived > 0)
            {
                Emit(new StatsPacket { Type = StatsPacketType.Counts, From = _options.InstanceId, RequestsReceived = _requestsReceived });
                _requestsReceived = 0;
            }
            connMax = FlushConnectionsMax(Now());
        }
        RaiseConnectionsMax(connMax);
    }

    private void OnRefreshTimer()
    {
        List<string>? refreshed = null;
        List<(string Mode, string Channel)>? unsubscribed = null;
        List<StatsPacket>? connMax = null;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            var now = Now();
            HashSet<string>? routesUpdated = null;
            while (_due.TryPeek(out var entry, out var due) && due <= now)
            {
                _due.Dequeue();
                if (entry.Removed || entry.Due != due)
                {
                    continue;
                }
                switch (entry)
                {
                    case Connection { Linger: true } c:
                        // The linger ran out: the new owner announces it, so no unavailable.
                        Forget(c);
                        (routesUpdated ??= new(StringComparer.Ordinal)).Add(c.Route);
                        break;
                    case Connection c:
                        Schedule(c, now + _connectionRefreshMs);
                        UpdateMinutes(c, now);
                        SendConnected(c);
                        (refreshed ??= []).Add(c.Id);
                        break;
                    case Subscription { Linger: true } s:
                        SendUnsubscribed(s);
                        ForgetSubscription(s);
                        (unsubscribed ??= []).Add((s.Mode, s.Channel));
                        break;
                    case Subscription s:
                        Schedule(s, now + _subscriptionRefreshMs);
                        SendSubscribed(s);
                        break;
                    case ExternalConnection x:
                        // Its owner stopped refreshing it: count it gone.
                        UpdateMinutes(x, now);
                        RemoveExternal(x);
                        (routesUpdated ??= new(StringComparer.Ordinal)).Add(x.Route);
                        break;
                }
            }
            if (routesUpdated is not null)
            {
                foreach (var route in routesUpdated)
                {
                    UpdateConnectionsMax(route, now);
                }
            }
            ExpireExternalMaxes(now);
            connMax = RefreshConnectionsMax(now);
        }
        if (refreshed is not null)
        {
            ConnectionsRefreshed?.Invoke(refreshed);
        }
        if (unsubscribed is not null)
        {
            foreach (var (mode, channel) in unsubscribed)
            {
                Unsubscribed?.Invoke(mode, channel);
            }
        }
        RaiseConnectionsMax(connMax);
    }

    private void OnReportTimer()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            var now = Now();
            foreach (var route in _reports.Keys.ToList())
            {
                var report = _reports[route];
                var packet = ReportToPacket(report, route, now);
                if (report.IsEmpty)
                {
                    // Nothing happening on the route any more: stop reporting it after this one.
                    _reports.Remove(route);
                }
                Emit(packet);
            }
        }
    }

    private void RaiseConnectionsMax(List<StatsPacket>? packets)
    {
        if (packets is null)
        {
            return;
        }
        foreach (var p in packets)
        {
            ConnectionsMaxReady?.Invoke(p);
        }
    }
}
