using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Stats;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;
using Pushpin.Common.Zrpc;
using Pushpin.Handler.Filters;
using Pushpin.Handler.Http;
using Pushpin.Handler.Instruct;
using Pushpin.Handler.Sequencing;

namespace Pushpin.Handler.Sessions;

/// <summary>
/// The handler's core: accepts handed-over sessions, keeps the channel → sessions map and fans
/// published items out. Everything here runs on one loop (<see cref="RunAsync"/>); other threads
/// only <see cref="Post"/> work to it, so sessions and maps need no locks.
/// </summary>
internal sealed partial class HandlerEngine
{
    /// <summary>zhttp keep-alive cadence toward the requester (upstream: 45 one-second buckets).</summary>
    public const int KeepAliveBuckets = 45;

    /// <summary>A session with no packet from the requester for this long is gone.</summary>
    public const long SessionExpireMs = 60_000;

    private const int MultiIdMax = 128;

    private readonly SessionContext _ctx;
    private readonly int _subscriptionMax;
    private readonly Channel<Action> _work = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<(string From, string Id), HttpSession> _sessions = [];
    private readonly Dictionary<string, HashSet<HttpSession>> _subscriptions = new(StringComparer.Ordinal);
    private readonly HashSet<HttpSession>[] _buckets = new HashSet<HttpSession>[KeepAliveBuckets];
    private readonly List<HttpSession> _ended = [];
    private readonly List<(HttpSession Session, bool ResponseSent, bool Retry)> _pendingStarts = [];
    private readonly Dictionary<HttpSession, SessionOrigin> _origins = [];
    private readonly Dictionary<(string Mode, string Channel), long> _modeSubscribers = [];
    private readonly HandlerEngineOptions _options;
    private readonly Action<HttpSession, UpdateReason> _requestUpdate;
    private int _sweepBucket;
    private long _nextSweepMs;

    public HandlerEngine(SessionContext ctx, int connectionSubscriptionMax = 20, HandlerEngineOptions? options = null)
    {
        _ctx = ctx;
        _subscriptionMax = connectionSubscriptionMax;
        _options = options ?? new HandlerEngineOptions();
        _requestUpdate = RequestUpdate; // one delegate for every session
        for (var i = 0; i < _buckets.Length; i++)
        {
            _buckets[i] = [];
        }
        _sequencer = new Sequencer(_lastIds, Deliver, ctx.Logger, ctx.Counters)
        {
            WaitMs = _options.MessageWaitMs,
            IdCacheTtlSeconds = _options.IdCacheTtlSeconds,
        };
        _limiter = new PublishLimiter<Delivery>(_options.MessageRate, _options.MessageHwm, d => DeliverTo(d.Session, d.Item));
    }

    public int SessionCount => _sessions.Count;

    /// <summary>Stats sink (conn per held session, sub per channel and mode, message per delivery); null = no stats.</summary>
    public StatsAggregator? Stats { get; set; }

    /// <summary>
    /// Told (on the engine loop) when a channel gets its first subscriber (true) or loses its last
    /// (false); the SUB input follows it.
    /// </summary>
    public Action<string, bool>? ChannelSubscriptionChanged { get; set; }

    /// <summary>WebSocket sessions (ws-control); published items reach them too. Null = none.</summary>
    public WebSockets.WsSessions? WsSessions { get; set; }

    /// <summary>Runs <paramref name="action"/> on the engine loop.</summary>
    public void Post(Action action) => _work.Writer.TryWrite(action);

    /// <summary>The engine loop: posted work plus a coarse tick for timers.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100), _ctx.Time);
        var ticker = TickLoopAsync(tick, ct);
        try
        {
            await foreach (var action in _work.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    action();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A bug in one item must not take the handler down.
                    Log.WorkFailed(_ctx.Logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
        await ticker.ConfigureAwait(false);
        // The loop is over, so this still runs alone: end every held session before the sockets close.
        ShutdownSessions();
    }

    /// <summary>Ends every held session cleanly (streams get their last chunk); for a stop.</summary>
    internal void ShutdownSessions()
    {
        foreach (var session in _sessions.Values)
        {
            session.Shutdown();
        }
        Log.SessionsShutdown(_ctx.Logger, _sessions.Count);
        _sessions.Clear();
    }

    private async Task TickLoopAsync(PeriodicTimer tick, CancellationToken ct)
    {
        try
        {
            while (await tick.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                Post(Tick);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>Handles a zrpc call on the accept socket (accept, conn-max).</summary>
    public void HandleAcceptCall(ZrpcCall call)
    {
        switch (call.Request.Method)
        {
            case "accept":
                // conn-max packets riding on an accept count before its connections, as upstream.
                HandleConnMax(call.Request.Args);
                call.Respond(HandleAccept(call.Request.Id, call.Request.Args, call.Request.From));
                StartAccepted();
                break;
            case "conn-max":
                // Fire-and-forget, never answered: the proxy's connection maxima for stats.
                HandleConnMax(call.Request.Args);
                break;
            default:
                call.Fail("method-not-found");
                break;
        }
    }

    /// <summary>
    /// Handles accept args: the zrpc answer, and (for holds) the sessions taken over. The answer
    /// is built before any packet is sent so the proxy learns the outcome first.
    /// </summary>
    internal ZrpcResponse HandleAccept(string? id, Dictionary<string, object?>? args, string? from = null)
    {
        var accept = AcceptRequest.Parse(args);
        if (accept is null)
        {
            Log.AcceptBadRequest(_ctx.Logger);
            return ZrpcResponse.Fail(id, "bad-request");
        }
        if (!InstructParser.TryParse(accept.Response, out var instruct, out var error))
        {
            Log.InstructError(_ctx.Logger, error);
            return ZrpcResponse.Fail(id, "bad-format", System.Text.Encoding.UTF8.GetBytes(error));
        }

        // Hop-by-hop headers only applied to the backend hop.
        var headers = instruct!.Response.Headers;
        headers.RemoveAll("Connection");
        headers.RemoveAll("Keep-Alive");
        headers.RemoveAll("Content-Encoding");
        headers.RemoveAll("Transfer-Encoding");

        // build-id renders into the initial body of non-hold and stream responses; its errors
        // are instruct errors (the client gets 502), as observed upstream.
        if (instruct.HoldMode != HoldMode.Response && !accept.ResponseSent && instruct.Response.Body.Length > 0)
        {
            var filtered = MessageFilters.RunOnResponse(instruct.Channels.Select(c => c.Filters), instruct.Meta, instruct.Response.Body);
            if (filtered.Error is not null)
            {
                var message = "filter error: " + filtered.Error;
                Log.InstructError(_ctx.Logger, message);
                return ZrpcResponse.Fail(id, "bad-format", System.Text.Encoding.UTF8.GetBytes(message));
            }
            instruct.Response.Body = filtered.Content;
        }

        // Without a hold the response is simply sent, unless it has a next link to follow.
        if (instruct.HoldMode == HoldMode.None && (instruct.NextLink is null || Outbound is null))
        {
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (!accept.ResponseSent)
            {
                headers.RemoveAll("Content-Length");
                var vheaders = new List<object?>(headers.Count);
                foreach (var h in headers)
                {
                    vheaders.Add(new List<object?> { Latin1.ToBytes(h.Key), Latin1.ToBytes(h.Value) });
                }
                result["response"] = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["code"] = (long)instruct.Response.Code,
                    ["reason"] = Latin1.ToBytes(instruct.Response.Reason),
                    ["headers"] = vheaders,
                    ["body"] = instruct.Response.Body,
                };
            }
            return ZrpcResponse.Ok(id, result);
        }

        _pendingStarts.Clear();
        // Only response holds are ever retried: streams need neither the request nor inspect again.
        var origin = instruct.HoldMode == HoldMode.Response
            ? new SessionOrigin(from, accept.Route, accept.OrigRequestData, accept.Inspect)
            : new SessionOrigin(from, accept.Route, null, null);
        var linkState = new NextLinkState(accept.Uri, accept.Route, accept.Trusted, accept.ChannelPrefix, accept.ImplicitChannels);

        // A response hold whose prev-id disagrees with the last id published here is retried at
        // once (the backend returns what was missed); the last id is forgotten.
        var conflict = false;
        if (instruct.HoldMode == HoldMode.Response)
        {
            foreach (var c in instruct.Channels)
            {
                var full = accept.ChannelPrefix + c.Name;
                if (c.PrevId is not null && _lastIds.Get(full) is { } lastId && lastId != c.PrevId)
                {
                    Log.AcceptConflict(_ctx.Logger, c.PrevId, lastId);
                    _lastIds.Remove(full);
                    conflict = true;
                }
            }
        }

        var names = new List<string>(Math.Min(instruct.Channels.Count, _subscriptionMax) + accept.ImplicitChannels.Count);
        for (var i = 0; i < instruct.Channels.Count && i < _subscriptionMax; i++)
        {
            names.Add(accept.ChannelPrefix + instruct.Channels[i].Name);
        }
        foreach (var c in accept.ImplicitChannels)
        {
            if (!names.Contains(c))
            {
                names.Add(c);
            }
        }

        foreach (var rs in accept.Requests)
        {
            var key = (rs.Sender, rs.Id);
            if (_sessions.ContainsKey(key))
            {
                Log.DuplicateRid(_ctx.Logger, rs.Sender, rs.Id);
                continue;
            }
            var session = new HttpSession(_ctx, rs, instruct, names, accept.RequestHeaders, _requestUpdate);
            session.AttachNextLinks(this, linkState);
            _sessions[key] = session;
            _origins[session] = origin;
            Stats?.AddConnection(StatsConnectionId(session), accept.Route, StatsConnectionType.Http, rs.PeerAddress, rs.Https);
            foreach (var name in session.Channels.Keys)
            {
                if (!_subscriptions.TryGetValue(name, out var set))
                {
                    set = [];
                    _subscriptions[name] = set;
                }
                AddSub(name);
                set.Add(session);
                CountSubscriber(session.Mode, name, +1);
            }
            // The bucket swept last comes round again in 45 s: the first zhttp keep-alive after
            // the one Start sends is then a full period away.
            _buckets[(_sweepBucket + KeepAliveBuckets - 1) % KeepAliveBuckets].Add(session);
            Log.Accepted(_ctx.Logger, rs.Sender, rs.Id, instruct.HoldMode.ToString(), string.Join(",", names));
            _pendingStarts.Add((session, accept.ResponseSent || rs.ResponseCode >= 0, conflict));
        }
        return ZrpcResponse.Ok(id, new Dictionary<string, object?>(StringComparer.Ordinal) { ["accepted"] = true });
    }

    /// <summary>Starts the sessions of the last accept (after its answer went out).</summary>
    internal void StartAccepted()
    {
        foreach (var (session, responseSent, retry) in _pendingStarts)
        {
            session.Start(responseSent);
            if (retry)
            {
                // Accept-time prev-id conflict: handed straight back for a retry (held if that fails).
                Retry(session);
            }
            if (session.Finished)
            {
                _ended.Add(session);
            }
        }
        _pendingStarts.Clear();
        RemoveEnded();
    }

    /// <summary>A packet from connmgr for one of our sessions.</summary>
    public void HandlePacket(ZhttpPacket p)
    {
        if (p.From is null)
        {
            // A local failure from our responder (connmgr unreachable): it names only the id.
            if (p.Type == ZhttpPacketType.Error && p.Id is not null)
            {
                foreach (var (key, session) in _sessions)
                {
                    if (key.Id == p.Id)
                    {
                        Log.Ended(_ctx.Logger, key.From, key.Id, p.Condition ?? string.Empty);
                        session.End();
                        _ended.Add(session);
                    }
                }
                RemoveEnded();
            }
            return;
        }
        _ctx.Sender.PeerSeen(p.From, p.Multi);
        if (p.Ids is not null)
        {
            foreach (var r in p.Ids)
            {
                Dispatch(p, p.From, r.Id, r.Seq);
            }
        }
        else if (p.Id is not null)
        {
            Dispatch(p, p.From, p.Id, p.Seq);
        }
        RemoveEnded();
    }

    private void Dispatch(ZhttpPacket p, string from, string id, int seq)
    {
        if (!_sessions.TryGetValue((from, id), out var session))
        {
            // Late packets (credits after our final packet, keep-alives of ended sessions) are normal.
            Log.UnknownSession(_ctx.Logger, from, id, p.Type.ToString());
            return;
        }
        session.OnPacket(p, seq);
        if (session.Finished)
        {
            _ended.Add(session);
        }
    }

    /// <summary>Runs due session timers and one keep-alive bucket per second (called every 100 ms).</summary>
    internal void Tick()
    {
        var now = _ctx.NowMs;
        foreach (var session in _sessions.Values)
        {
            if (session.NextDueMs <= now)
            {
                session.OnTimer(now);
                if (session.Finished)
                {
                    _ended.Add(session);
                }
            }
        }
        RemoveEnded();
        TickDelivery(now);
        TickLinkTimeouts(now);
        TickUpdates(now);

        // One keep-alive bucket per second: every session gets a zhttp keep-alive each 45 s.
        if (now >= _nextSweepMs)
        {
            _nextSweepMs = now + 1000;
            WsSessions?.Tick();
            SweepBucket(_buckets[_sweepBucket], now);
            _sweepBucket = (_sweepBucket + 1) % KeepAliveBuckets;
        }
    }

    private void SweepBucket(HashSet<HttpSession> bucket, long now)
    {
        Dictionary<(string From, bool RouterResp), List<ZhttpSessionRef>>? batches = null;
        foreach (var s in bucket)
        {
            if (now - s.LastReceivedMs > SessionExpireMs)
            {
                Log.Expired(_ctx.Logger, s.From, s.Id);
                s.End();
                _ended.Add(s);
                continue;
            }
            if (!s.PeerMulti)
            {
                s.SendSingleKeepAlive();
                continue;
            }
            batches ??= [];
            if (!batches.TryGetValue((s.From, s.RouterResp), out var refs))
            {
                refs = [];
                batches[(s.From, s.RouterResp)] = refs;
            }
            refs.Add(new ZhttpSessionRef(s.Id, s.TakeSeqForKeepAlive()));
            if (refs.Count == MultiIdMax)
            {
                SendMultiKeepAlive(s.From, s.RouterResp, refs);
                batches[(s.From, s.RouterResp)] = [];
            }
        }
        if (batches is not null)
        {
            foreach (var ((from, routerResp), refs) in batches)
            {
                if (refs.Count > 0)
                {
                    SendMultiKeepAlive(from, routerResp, refs);
                }
            }
        }
        RemoveEnded();
    }

    private void SendMultiKeepAlive(string from, bool routerResp, List<ZhttpSessionRef> refs)
    {
        var p = new ZhttpPacket { From = _ctx.InstanceId, Type = ZhttpPacketType.KeepAlive, Multi = true };
        if (refs.Count == 1)
        {
            p.Id = refs[0].Id;
            p.Seq = refs[0].Seq;
        }
        else
        {
            p.Ids = refs;
        }
        _ctx.Sender.Send(from, p, routerResp);
    }

    private void RemoveEnded()
    {
        if (_ended.Count == 0)
        {
            return;
        }
        foreach (var s in _ended)
        {
            Remove(s);
        }
        _ended.Clear();
    }

    private void Remove(HttpSession session)
    {
        if (!_sessions.Remove((session.From, session.Id)))
        {
            return;
        }
        _origins.Remove(session);
        _lowPriorityUpdates.Remove(session);
        _linkTimeouts.Unregister(session);
        session.OnRemoved();
        Stats?.RemoveConnection(StatsConnectionId(session));
        foreach (var name in session.Channels.Keys)
        {
            if (_subscriptions.TryGetValue(name, out var set))
            {
                if (set.Remove(session))
                {
                    CountSubscriber(session.Mode, name, -1);
                }
                if (set.Count == 0)
                {
                    _subscriptions.Remove(name);
                    ReleaseSub(name, session.Mode);
                }
            }
        }
        foreach (var b in _buckets)
        {
            if (b.Remove(session))
            {
                break;
            }
        }
    }

    /// <summary>The stats connection id of a session: <c>&lt;from&gt;:&lt;id&gt;</c>, as upstream.</summary>
    internal static string StatsConnectionId(HttpSession session) => session.From + ":" + session.Id;

    private static string TransportName(HoldMode mode) => mode == HoldMode.Response ? "http-response" : "http-stream";

    private static string SubscriptionMode(HoldMode mode) => mode == HoldMode.Response ? "response" : "stream";

    /// <summary>Keeps the per (mode, channel) subscriber count and tells stats about it.</summary>
    private void CountSubscriber(HoldMode holdMode, string channel, int delta)
    {
        if (Stats is null)
        {
            return;
        }
        var key = (SubscriptionMode(holdMode), channel);
        var count = _modeSubscribers.GetValueOrDefault(key) + delta;
        if (count > 0)
        {
            _modeSubscribers[key] = count;
            Stats.AddSubscription(key.Item1, channel, count);
        }
        else
        {
            _modeSubscribers.Remove(key);
            // Linger as upstream: a long-poll that comes back soon keeps the subscription alive.
            Stats.RemoveSubscription(key.Item1, channel, linger: true);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 419, Level = LogLevel.Information, Message = "stopping: ended {Count} held sessions")]
        public static partial void SessionsShutdown(ILogger logger, int count);

        [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "engine: work item failed")]
        public static partial void WorkFailed(ILogger logger, Exception ex);

        [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "accept: malformed arguments")]
        public static partial void AcceptBadRequest(ILogger logger);

        [LoggerMessage(EventId = 402, Level = LogLevel.Debug, Message = "accept: failed to parse accept instructions: {Error}")]
        public static partial void InstructError(ILogger logger, string error);

        [LoggerMessage(EventId = 403, Level = LogLevel.Error, Message = "received accept request for rid we already have ({From}, {Id}), skipping")]
        public static partial void DuplicateRid(ILogger logger, string from, string id);

        [LoggerMessage(EventId = 404, Level = LogLevel.Debug, Message = "accepted {From}:{Id} hold={Mode} channels={Channels}")]
        public static partial void Accepted(ILogger logger, string from, string id, string mode, string channels);

        [LoggerMessage(EventId = 405, Level = LogLevel.Debug, Message = "zhttp: packet for unknown session {From}:{Id} ({Type}), dropped")]
        public static partial void UnknownSession(ILogger logger, string from, string id, string type);

        [LoggerMessage(EventId = 406, Level = LogLevel.Debug, Message = "zhttp: session {From}:{Id} expired")]
        public static partial void Expired(ILogger logger, string from, string id);

        [LoggerMessage(EventId = 408, Level = LogLevel.Warning, Message = "zhttp: session {From}:{Id} failed locally ({Condition})")]
        public static partial void Ended(ILogger logger, string from, string id, string condition);

        [LoggerMessage(EventId = 407, Level = LogLevel.Information, Message = "recover: updating {Count} held sessions")]
        public static partial void Recover(ILogger logger, int count);

        [LoggerMessage(EventId = 409, Level = LogLevel.Debug, Message = "accept: last ID inconsistency (got={Got}, expected={Expected}), retrying")]
        public static partial void AcceptConflict(ILogger logger, string got, string expected);
    }
}
