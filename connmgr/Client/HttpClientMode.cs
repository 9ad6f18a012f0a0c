using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;

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

    public HttpClientMode(ClientOptions options, ILogger logger)
    {
        Options = options;
        Logger = logger;
        Responder = new ZhttpResponder(options.InstanceId, ZhttpEndpoints.FromBase(options.ZhttpBase, bind: true), logger);
        Pool = new ConnectionPool(options.PoolMaxIdlePerTarget, options.PoolIdleTimeout, logger);
    }

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

    internal void Remove(ClientSession session) => _sessions.TryRemove((session.Requester, session.Id), out _);

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
                    s.Inbox.Writer.TryWrite(new ZhttpPacket { From = packet.From, Id = entry.Id, Seq = entry.Seq, Type = packet.Type, Multi = packet.Multi });
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
            session.Inbox.Writer.TryWrite(packet);
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
            // Not on the poller thread: the session connects and writes before its first await.
            var token = _stopping.Token;
            _ = Task.Run(() => session.RunAsync(token), CancellationToken.None);
        }
    }

    private async Task SweepAsync()
    {
        using var timer = new PeriodicTimer(Options.SweepInterval);
        var keepAlive = (long)Options.KeepAliveInterval.TotalMilliseconds;
        var expiry = (long)Options.SessionTimeout.TotalMilliseconds;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                foreach (var (_, s) in _sessions)
                {
                    if (now - s.LastReceived > expiry)
                    {
                        LogExpired(Logger, s.Id);
                        s.Abort();
                        continue;
                    }
                    s.TimeOutIfSilent(now);
                    s.KeepAliveIfDue(now, keepAlive);
                }
                Pool.Expire(now);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
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
