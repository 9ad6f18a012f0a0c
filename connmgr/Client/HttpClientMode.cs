using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Transport;

namespace Pushpin.Connmgr.Client;

/// <summary>
/// Client mode (zurl's role): zhttp requests from the proxy become outbound HTTP/1.1 requests,
/// responses stream back under the requester's credits.
/// </summary>
internal sealed partial class HttpClientMode : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string From, string Id), ClientSession> _sessions = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly Server.TimerWheel<ClientSessionTimer> _timers;
    private long _visited;

    public HttpClientMode(ClientOptions options, ILogger logger)
    {
        Options = options;
        Logger = logger;
        Responder = new ZhttpResponder(options.InstanceId, ZhttpEndpoints.FromBase(options.ZhttpBase, bind: true), logger);
        Pool = new ConnectionPool(options.PoolMaxIdlePerTarget, options.PoolIdleTimeout, logger);
        _timers = new Server.TimerWheel<ClientSessionTimer>((long)options.SweepInterval.TotalMilliseconds, 4096, Environment.TickCount64);
    }

    /// <summary>Session entries the sweep visited so far (what a tick costs; for tests and benchmarks).</summary>
    internal long Visited => Interlocked.Read(ref _visited);

    /// <summary>Idle keep-alive connections to backends.</summary>
    internal ConnectionPool Pool { get; }

    internal ClientOptions Options { get; }

    internal ILogger Logger { get; }

    internal ZhttpResponder Responder { get; }

    public int SessionCount => _sessions.Count;

    public void Start()
    {
        // Packets are routed on the responder's poller thread (no hop); new sessions start on the pool.
        Responder.OnReceived = Route;
        Responder.Start();
        _loops.Add(Task.Run(SweepAsync));
    }

    internal void Remove(ClientSession session)
    {
        _sessions.TryRemove((session.Requester, session.Id), out _);
        session.Timer?.Release();
    }

    private void Route(ZhttpPacket packet)
    {
        if (packet.From is null)
        {
            // Local transport failure (e.g. the requester's ROUTER is gone): the session is lost.
            foreach (var (_, s) in _sessions)
            {
                if (s.Id == packet.Id)
                {
                    s.Abort();
                }
            }
            return;
        }
        var now = Environment.TickCount64;
        if (packet.Ids is { } ids)
        {
            foreach (var entry in ids)
            {
                if (_sessions.TryGetValue((packet.From, entry.Id), out var s))
                {
                    s.LastReceived = now;
                    s.Inbox.TryWrite(new SessionPacket(packet, entry.Seq));
                }
            }
            return;
        }
        if (packet.Id is null)
        {
            LogDropped(Logger, "packet without id");
            return;
        }
        if (_sessions.TryGetValue((packet.From, packet.Id), out var session))
        {
            session.LastReceived = now;
            session.Inbox.TryWrite(packet);
            return;
        }
        if (packet.Type != ZhttpPacketType.Data || packet.Uri is null || packet.Seq > 0)
        {
            LogDropped(Logger, $"{packet.Type} for unknown session {packet.Id}");
            return;
        }
        session = new ClientSession(this, packet);
        if (_sessions.TryAdd((packet.From, packet.Id), session))
        {
            session.Timer = new ClientSessionTimer(session);
            session.ArmedAt = NextDeadline(session, now);
            _timers.Schedule(session.Timer, session.ArmedAt);
            // Not on the poller thread: the session connects and writes before its first await.
            var token = _stopping.Token;
            _ = Task.Run(() => session.RunAsync(token), CancellationToken.None);
        }
    }

    /// <summary>
    /// The one coarse tick. Sessions sit on a timer wheel: a tick visits only those whose
    /// keep-alive, expiry, backend-silence or request deadline came due, not every session.
    /// </summary>
    private async Task SweepAsync()
    {
        using var timer = new PeriodicTimer(Options.SweepInterval);
        var keepAlive = (long)Options.KeepAliveInterval.TotalMilliseconds;
        var expiry = (long)Options.SessionTimeout.TotalMilliseconds;
        var tick = Math.Max(1, (long)Options.SweepInterval.TotalMilliseconds);
        var fired = new List<(ClientSessionTimer Owner, long Due)>();
        var batches = new Dictionary<(string Requester, bool RouterResp), List<ClientSession>>();
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                _timers.Advance(now, fired);
                Interlocked.Add(ref _visited, fired.Count);
                foreach (var (handle, due) in fired)
                {
                    // A session has one live entry, the one at ArmedAt; others were superseded by an earlier one.
                    if (handle.Session is not { } s || Interlocked.Read(ref s.ArmedAt) != due)
                    {
                        continue;
                    }
                    if (now - s.LastReceived > expiry)
                    {
                        LogExpired(Logger, s.Id);
                        s.Abort();
                        continue;
                    }
                    s.TimeOutIfSilent(now);
                    s.TimeOutRequestIfDue(now);
                    // Keep-alive deadlines sit on a grid of half intervals, so the sessions of one
                    // requester come due on the same tick and share multi-id packets (as upstream batches).
                    if (s.IsKeepAliveDue(now, keepAlive / 2) && now >= KeepAliveDue(s))
                    {
                        if (!s.PeerMulti)
                        {
                            s.KeepAliveIfDue(now, 0);
                        }
                        else
                        {
                            var key = (s.Requester, s.RouterResp);
                            if (!batches.TryGetValue(key, out var batch))
                            {
                                batch = [];
                                batches[key] = batch;
                            }
                            batch.Add(s);
                        }
                    }
                }
                SendBatches(batches, now);
                foreach (var (handle, due) in fired)
                {
                    if (handle.Session is not { } s || Interlocked.Read(ref s.ArmedAt) != due || now - s.LastReceived > expiry)
                    {
                        continue;
                    }
                    // Entries are lazy: a session that was active since re-arms at its new deadline.
                    var next = Math.Max(NextDeadline(s, now), now + tick);
                    if (Interlocked.CompareExchange(ref s.ArmedAt, next, due) == due)
                    {
                        _timers.Schedule(handle, next);
                    }
                }
                fired.Clear();
                Pool.Expire(now);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>
    /// Adds an entry when a session's deadline moved earlier than its live entry (the stream
    /// deadline once the exchange starts); later moves need nothing, the entry re-arms lazily.
    /// </summary>
    internal void ArmEarlier(ClientSession s, long due)
    {
        while (true)
        {
            var current = Interlocked.Read(ref s.ArmedAt);
            if (due >= current || s.Timer is not { } handle)
            {
                return;
            }
            if (Interlocked.CompareExchange(ref s.ArmedAt, due, current) == current)
            {
                _timers.Schedule(handle, due);
                return;
            }
        }
    }

    /// <summary>
    /// When the session's next keep-alive is due: the last grid point (multiples of half the
    /// interval) at or before a full interval after its last packet, so between half and one
    /// interval after it.
    /// </summary>
    private long KeepAliveDue(ClientSession s)
    {
        var grid = Math.Max(1, (long)Options.KeepAliveInterval.TotalMilliseconds / 2);
        return (s.LastSent + (long)Options.KeepAliveInterval.TotalMilliseconds) / grid * grid;
    }

    /// <summary>Sends the collected keep-alives, one multi-id packet per requester (≤128 ids each).</summary>
    private void SendBatches(Dictionary<(string Requester, bool RouterResp), List<ClientSession>> batches, long now)
    {
        const int maxIds = 128;
        foreach (var ((requester, routerResp), sessions) in batches)
        {
            for (var i = 0; i < sessions.Count; i += maxIds)
            {
                var part = sessions.GetRange(i, Math.Min(maxIds, sessions.Count - i));
                if (part.Count == 1)
                {
                    // One session: the scalar id form, as upstream encoders do.
                    part[0].KeepAliveIfDue(now, 0);
                }
                else
                {
                    ClientSession.SendBatchedKeepAlive(this, requester, routerResp, part, now);
                }
            }
        }
        batches.Clear();
    }

    /// <summary>The earliest of the session's deadlines still ahead (a passed one has already fired).</summary>
    private long NextDeadline(ClientSession s, long now)
    {
        var next = Math.Min(KeepAliveDue(s), s.LastReceived + (long)Options.SessionTimeout.TotalMilliseconds + 1);
        if (s.StreamDeadline is var stream and > 0 && stream != long.MaxValue && stream >= now)
        {
            next = Math.Min(next, stream + 1);
        }
        if (s.RequestDeadline is var request and > 0 && request != long.MaxValue && request > now)
        {
            next = Math.Min(next, request);
        }
        return next;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var (_, s) in _sessions)
        {
            s.Abort();
        }
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Leave the rest to process exit.
        }
        Pool.Clear();
        Responder.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "client: dropped {What}")]
    private static partial void LogDropped(ILogger logger, string what);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "client: session {SessionId} timed out")]
    private static partial void LogExpired(ILogger logger, string sessionId);
}
