using Microsoft.Extensions.Logging;
using Pushpin.Common.Stats;
using Pushpin.Common.TNetStrings;
using Pushpin.Handler.Http;
using Pushpin.Handler.Instruct;

namespace Pushpin.Handler.Sessions;

/// <summary>
/// Channel subscriptions (with the response-mode linger), and re-syncing sessions through the
/// backend: a response hold is handed back to the proxy in a retry packet (internals.md §4.5)
/// on a prev-id gap, a hint, <c>recover</c>, or ~1 s after its channel's first subscription.
/// </summary>
internal sealed partial class HandlerEngine
{
    /// <summary>upstream's SUBSCRIBED_DELAY: how long after a first subscription its sessions are updated.</summary>
    public const int FirstSubscriptionDelayMs = 1000;

    /// <summary>Low-priority updates handled per 100 ms tick (upstream: 10 batches of 100 per second).</summary>
    public const int UpdatesPerTick = 100;

    private readonly HashSet<string> _subs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lingerUntil = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _firstSubscriptionDue = new(StringComparer.Ordinal);
    private readonly List<HttpSession> _lowPriorityUpdates = [];

    /// <summary>
    /// Sends a retry packet to a proxy instance (its id, the encoded packet); the task says
    /// whether the proxy took it. Null = no retry socket (sessions are then simply kept).
    /// </summary>
    public Func<string, byte[], Task<bool>>? RetrySender { get; set; }

    /// <summary>Channels with local subscribers, lingering response channels included (what the SUB input follows).</summary>
    internal IReadOnlyCollection<string> SubscribedChannels => _subs;

    /// <summary>Clears every known last id and updates every held session (HTTP <c>/recover</c>, command <c>recover</c>).</summary>
    public void Recover()
    {
        Log.Recover(_ctx.Logger, _sessions.Count);
        _lastIds.Clear();
        foreach (var session in _sessions.Values)
        {
            RequestUpdate(session, new UpdateReason(null, HighPriority: false));
        }
    }

    /// <summary>Which of <paramref name="ids"/> (stats connection ids) are held here.</summary>
    public List<string> ConnCheck(IEnumerable<string> ids)
    {
        var alive = new List<string>();
        foreach (var cid in ids)
        {
            var colon = cid.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && _sessions.ContainsKey((cid[..colon], cid[(colon + 1)..])))
            {
                alive.Add(cid);
            }
        }
        return alive;
    }

    private void AddSub(string channel)
    {
        if (_lingerUntil.Remove(channel) || !_subs.Add(channel))
        {
            return;
        }
        ChannelSubscriptionChanged?.Invoke(channel, true);
        if (_options.UpdateOnFirstSubscription)
        {
            _firstSubscriptionDue[channel] = _ctx.NowMs + FirstSubscriptionDelayMs;
        }
        _ctx.Counters?.SetSubscriptions(_subs.Count);
    }

    // The channel's last session left: response channels linger (a long-poll usually comes
    // back), others go now.
    private void ReleaseSub(string channel, HoldMode mode)
    {
        if (mode == HoldMode.Response && _options.SubscriptionLinger > TimeSpan.Zero)
        {
            _lingerUntil[channel] = _ctx.NowMs + (long)_options.SubscriptionLinger.TotalMilliseconds;
            return;
        }
        RemoveSub(channel);
    }

    private void RemoveSub(string channel)
    {
        if (!_subs.Remove(channel))
        {
            return;
        }
        _lingerUntil.Remove(channel);
        _firstSubscriptionDue.Remove(channel);
        _sequencer.ClearChannel(channel);
        _lastIds.Remove(channel);
        ChannelSubscriptionChanged?.Invoke(channel, false);
        _ctx.Counters?.SetSubscriptions(_subs.Count);
    }

    private void TickUpdates(long now)
    {
        List<string>? due = null;
        foreach (var (channel, until) in _lingerUntil)
        {
            if (until <= now)
            {
                (due ??= []).Add(channel);
            }
        }
        foreach (var channel in due ?? [])
        {
            if (!_subscriptions.ContainsKey(channel))
            {
                RemoveSub(channel);
            }
        }

        due?.Clear();
        foreach (var (channel, when) in _firstSubscriptionDue)
        {
            if (when <= now)
            {
                (due ??= []).Add(channel);
            }
        }
        foreach (var channel in due ?? [])
        {
            _firstSubscriptionDue.Remove(channel);
            if (_subscriptions.TryGetValue(channel, out var set))
            {
                foreach (var session in set)
                {
                    RequestUpdate(session, new UpdateReason(null, HighPriority: false));
                }
            }
        }

        var n = Math.Min(UpdatesPerTick, _lowPriorityUpdates.Count);
        if (n > 0)
        {
            var batch = _lowPriorityUpdates.GetRange(0, n);
            _lowPriorityUpdates.RemoveRange(0, n);
            foreach (var session in batch)
            {
                if (UpdatesByNextLink(session))
                {
                    session.Update();
                    if (session.Finished)
                    {
                        _ended.Add(session);
                    }
                }
                else
                {
                    Retry(session);
                }
            }
            RemoveEnded();
        }
        _ctx.Counters?.SetConnections(_sessions.Count);
    }

    /// <summary>
    /// A session must re-sync. Response holds are retried (hints at once, the rest rate-limited);
    /// stream holds with a next link fetch it (the same priorities).
    /// </summary>
    private void RequestUpdate(HttpSession session, UpdateReason reason)
    {
        if (reason.Channel is not null)
        {
            _lastIds.Remove(reason.Channel);
        }
        if (session.Finished || session.Retrying)
        {
            return;
        }
        if (UpdatesByNextLink(session))
        {
            if (!session.HasNextLink)
            {
                return;
            }
        }
        else if (session.Mode != HoldMode.Response)
        {
            return;
        }
        if (reason.HighPriority)
        {
            _lowPriorityUpdates.Remove(session);
            if (UpdatesByNextLink(session))
            {
                session.Update();
            }
            else
            {
                Retry(session);
            }
        }
        else if (!_lowPriorityUpdates.Contains(session))
        {
            _lowPriorityUpdates.Add(session);
        }
    }

    /// <summary>Hands the session back to the proxy that accepted it; kept on if nobody takes it.</summary>
    private void Retry(HttpSession session)
    {
        if (RetrySender is null || session.Finished || session.Retrying || !_origins.TryGetValue(session, out var origin) || origin.ProxyId is null || origin.RequestData is null)
        {
            return;
        }
        session.BeginRetry();
        var packet = TnetString.Encode(BuildRetryPacket(session, origin));
        Log.Retrying(_ctx.Logger, session.From, session.Id, origin.ProxyId);
        RetrySender(origin.ProxyId, packet).ContinueWith(
            t => Post(() => RetryDone(session, t.IsCompletedSuccessfully && t.Result)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void RetryDone(HttpSession session, bool taken)
    {
        if (!taken)
        {
            Log.RetryFailed(_ctx.Logger, session.From, session.Id);
            session.CancelRetry();
            return;
        }
        session.CompleteRetry();
        _ended.Add(session);
        RemoveEnded();
    }

    /// <summary>The retry packet (internals.md §4.5): the session's zhttp state now, the client's request, inspect info with last ids.</summary>
    internal static Dictionary<string, object?> BuildRetryPacket(HttpSession session, SessionOrigin origin)
    {
        var rs = session.State;
        var request = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["rid"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["sender"] = Latin1.ToBytes(session.From),
                ["id"] = Latin1.ToBytes(session.Id),
            },
            ["in-seq"] = (long)session.InSeq,
            ["out-seq"] = (long)session.OutSeq,
            ["out-credits"] = (long)session.Credits,
        };
        if (rs.Https)
        {
            request["https"] = true;
        }
        if (rs.PeerAddress is not null)
        {
            request["peer-address"] = Latin1.ToBytes(rs.PeerAddress);
        }
        if (rs.Debug)
        {
            request["debug"] = true;
        }
        if (rs.AutoCrossOrigin)
        {
            request["auto-cross-origin"] = true;
        }
        if (!string.IsNullOrEmpty(rs.JsonpCallback))
        {
            request["jsonp-callback"] = Latin1.ToBytes(rs.JsonpCallback);
        }
        if (rs.JsonpExtendedResponse)
        {
            request["jsonp-extended-response"] = true;
        }
        if (rs.RouterResp)
        {
            request["router-resp"] = true;
        }
        if (rs.UserData is not null)
        {
            request["user-data"] = rs.UserData;
        }

        var packet = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["requests"] = new List<object?> { request },
            ["request-data"] = origin.RequestData,
        };

        // Channels with a prev-id go back as inspect last-ids, which the proxy sends as Grip-Last.
        Dictionary<string, object?>? inspect = origin.Inspect is null ? null : new Dictionary<string, object?>(origin.Inspect, StringComparer.Ordinal);
        foreach (var c in session.Channels.Values)
        {
            if (c.PrevId is null)
            {
                continue;
            }
            inspect ??= new Dictionary<string, object?>(StringComparer.Ordinal) { ["no-proxy"] = false };
            if (inspect.GetValueOrDefault("last-ids") is not Dictionary<string, object?> lastIds)
            {
                lastIds = new Dictionary<string, object?>(StringComparer.Ordinal);
            }
            else
            {
                lastIds = new Dictionary<string, object?>(lastIds, StringComparer.Ordinal);
            }
            lastIds[c.Name] = System.Text.Encoding.UTF8.GetBytes(c.PrevId);
            inspect["last-ids"] = lastIds;
        }
        if (inspect is not null)
        {
            packet["inspect"] = inspect;
        }
        if (!string.IsNullOrEmpty(origin.Route))
        {
            packet["route"] = Latin1.ToBytes(origin.Route);
        }
        return packet;
    }

    // The proxy's conn-max packets (stats_connection_send=false): merged into our stats as upstream.
    internal void HandleConnMax(Dictionary<string, object?>? args)
    {
        if (Stats is null || args?.GetValueOrDefault("conn-max") is not List<object?> list)
        {
            return;
        }
        foreach (var v in list)
        {
            if (v is not Dictionary<string, object?> d)
            {
                continue;
            }
            try
            {
                var packet = StatsCodec.FromDictionary("conn-max", d);
                if (packet.Type == StatsPacketType.ConnectionsMax)
                {
                    Stats.ProcessExternalPacket(packet, mergeConnectionReport: false);
                }
            }
            catch (StatsPacketException ex)
            {
                Log.BadConnMax(_ctx.Logger, ex.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 430, Level = LogLevel.Debug, Message = "retry: handing {From}:{Id} back to {Proxy}")]
        public static partial void Retrying(ILogger logger, string from, string id, string proxy);

        [LoggerMessage(EventId = 431, Level = LogLevel.Warning, Message = "retry: proxy did not take {From}:{Id}; keeping the session")]
        public static partial void RetryFailed(ILogger logger, string from, string id);

        [LoggerMessage(EventId = 432, Level = LogLevel.Warning, Message = "conn-max: malformed packet ignored: {Reason}")]
        public static partial void BadConnMax(ILogger logger, string reason);
    }
}
