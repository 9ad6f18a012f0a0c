using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Transport;

namespace Pushpin.Connmgr.Server;

/// <summary>
/// Server mode: accepts HTTP clients and turns each request into a zhttp session toward the
/// proxy (or any responder) through the requester sockets.
/// </summary>
internal sealed partial class HttpServer : IAsyncDisposable
{
    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private readonly ZhttpRequester? _requester;
    private readonly ZhttpReqRequester? _reqRequester;
    private readonly SessionTimers? _sessionTimers;
    private readonly CreditBatcher? _credits;
    private readonly ConcurrentDictionary<string, ReqExchange> _reqExchanges = new(StringComparer.Ordinal);
    private readonly List<(Socket Socket, Transport.ListenSpec Spec)> _listeners = [];
    private readonly ConcurrentDictionary<string, ServerSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, HttpConnection> _connections = new();
    private readonly ConcurrentDictionary<long, Task> _connectionTasks = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private long _nextConnectionId;
    private int _connectionCount;
    private int _reqConnectionCount;

    public HttpServer(ServerOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        ReceivePipeOptions = SocketPipe.CreateOptions(Math.Max(options.BufferSize * 4L, HttpConnection.MaxWebSocketFrame + 65536));
        // One slot per sweep tick; 4096 ticks of 1 s cover any timeout without extra turns.
        Timers = new TimerWheel<ConnectionTimer>((long)options.SweepInterval.TotalMilliseconds, 4096, Environment.TickCount64);
        ReqTimers = new TimerWheel<ReqExchange>((long)options.SweepInterval.TotalMilliseconds, 4096, Environment.TickCount64);
        // A burst of new requests must queue for the proxy, not fail: the transport refuses (503)
        // when the PUSH cannot take a packet at once, so give it room (upstream's 128 was measured
        // against a sender that waits instead). With no responder connected at all it still fails fast.
        if (options.Listen.Any(l => !l.Req))
        {
            _requester = new ZhttpRequester(
                options.InstanceId,
                ZhttpEndpoints.FromBase(options.ZhttpBase ?? throw new ArgumentException("stream listeners need a zhttp requester base (--zclient-stream)"), bind: true),
                logger,
                initialHighWatermark: 10000);
            _sessionTimers = new SessionTimers(options, _requester, Environment.TickCount64);
            _credits = new CreditBatcher(_requester, options.InstanceId);
        }
        if (options.Listen.Any(l => l.Req))
        {
            if (options.ZhttpReqSpecs.Count == 0)
            {
                _requester?.Dispose();
                throw new ArgumentException("req listeners need --zclient-req");
            }
            try
            {
                _reqRequester = new ZhttpReqRequester(options.ZhttpReqSpecs, logger);
            }
            catch
            {
                _requester?.Dispose();
                throw;
            }
        }
        if (options.Listen.Any(l => l.Tls))
        {
            TlsIdentities = new Transport.TlsIdentityCache(options.TlsIdentitiesDir)
            {
                LoadFailed = (name, reason) => LogIdentityFailed(logger, name, reason),
            };
        }
        try
        {
            foreach (var spec in options.Listen)
            {
                _listeners.Add((Transport.ListenerSocket.Open(spec), spec));
            }
        }
        catch
        {
            foreach (var (l, _) in _listeners)
            {
                l.Dispose();
            }
            _requester?.Dispose();
            _reqRequester?.Dispose();
            throw;
        }
    }

    internal ServerOptions Options => _options;

    /// <summary>
    /// Receive pipe settings of every connection: room for one whole WebSocket frame (the frame
    /// parser needs it in one piece); HTTP heads are bounded by the buffer size and bodies move
    /// under credits.
    /// </summary>
    internal PipeOptions ReceivePipeOptions { get; }

    /// <summary>Head and idle deadlines of the connections, advanced by the sweep.</summary>
    internal TimerWheel<ConnectionTimer> Timers { get; }

    /// <summary>Deadlines of req-mode requests (<see cref="ServerOptions.ReqTimeout"/>), advanced by the sweep.</summary>
    internal TimerWheel<ReqExchange> ReqTimers { get; }

    internal ILogger Logger => _logger;

    /// <summary>Server certificates, when any listener is <c>,tls</c>.</summary>
    internal Transport.TlsIdentityCache? TlsIdentities { get; }

    /// <summary>The bound addresses (useful when a port was 0).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => [.. _listeners.Select(l => l.Socket.LocalEndPoint).OfType<IPEndPoint>()];

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public void Start()
    {
        if (_requester is not null)
        {
            // Packets are routed to their session's inbox on the requester's poller thread (no hop).
            _requester.OnReceived = Route;
            _requester.Start();
        }
        if (_reqRequester is not null)
        {
            _reqRequester.Start();
            _loops.Add(Task.Run(DispatchReqAsync));
        }
        _loops.Add(Task.Run(SweepAsync));
        foreach (var (socket, spec) in _listeners)
        {
            _loops.Add(Task.Run(() => AcceptAsync(socket, spec)));
            LogListening(_logger, spec.IsUnix ? spec.ToString() : (spec with { EndPoint = (IPEndPoint)socket.LocalEndPoint! }).ToString());
        }
    }

    /// <summary>Creates and registers a session for a new request.</summary>
    internal ServerSession OpenSession(long connectionId, int requestNumber)
    {
        var id = $"0-{connectionId}-{requestNumber:x}";
        var now = Environment.TickCount64;
        var session = new ServerSession(id, _options.InstanceId, _requester!, now);
        _sessions[id] = session;
        session.Timer = _sessionTimers!.Track(session, now);
        return session;
    }

    internal void CloseSession(ServerSession session)
    {
        _sessions.TryRemove(session.Id, out _);
        session.Timer?.Release();
    }

    /// <summary>Credits going back to responders, batched (stream-mode sessions only).</summary>
    internal CreditBatcher Credits => _credits!;

    /// <summary>Session deadlines (expiry, keep-alives); null when every listener is <c>,req</c>.</summary>
    internal SessionTimers? SessionTimers => _sessionTimers;

    /// <summary>Registers a req-mode request; its deadline starts now.</summary>
    internal ReqExchange OpenReqExchange(long connectionId, int requestNumber)
    {
        var exchange = new ReqExchange($"0-{connectionId}-{requestNumber:x}");
        _reqExchanges[exchange.Id] = exchange;
        ReqTimers.Schedule(exchange, Environment.TickCount64 + (long)_options.ReqTimeout.TotalMilliseconds);
        return exchange;
    }

    /// <summary>Sends a req-mode request packet (encoded before this returns).</summary>
    internal void SendReq(ZhttpPacket packet) => _reqRequester!.Send(packet);

    internal void CloseReqExchange(ReqExchange exchange)
    {
        _reqExchanges.TryRemove(exchange.Id, out _);
        exchange.Dispose();
    }

    /// <summary>Hands each req-mode response to its request; other packet types mean nothing in req mode (as upstream).</summary>
    private async Task DispatchReqAsync()
    {
        var reader = _reqRequester!.Incoming;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var packet))
                {
                    if (packet.Type is not (ZhttpPacketType.Data or ZhttpPacketType.Error or ZhttpPacketType.Cancel))
                    {
                        continue;
                    }
                    if (packet.Id is not null && _reqExchanges.TryGetValue(packet.Id, out var exchange))
                    {
                        exchange.Complete(packet);
                    }
                    else
                    {
                        LogUnknownSession(_logger, packet.Id, packet.Type);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task AcceptAsync(Socket listener, Transport.ListenSpec spec)
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(_logger, ex.Message);
                continue;
            }
            if (!spec.IsUnix)
            {
                client.NoDelay = true;
            }
            var id = Interlocked.Increment(ref _nextConnectionId);
            // req and stream listeners have their own limits, as upstream.
            ref var count = ref spec.Req ? ref _reqConnectionCount : ref _connectionCount;
            var limit = spec.Req ? _options.ReqMaxConnections : _options.MaxConnections;
            if (Interlocked.Increment(ref count) > limit)
            {
                Interlocked.Decrement(ref count);
                _ = RefuseAsync(client, limit);
                continue;
            }
            var connection = new HttpConnection(this, id, client, spec);
            _connections[id] = connection;
            var task = RunConnectionAsync(connection, spec.Req);
            _connectionTasks[id] = task;
            if (task.IsCompleted)
            {
                // Finished before it was registered: its own clean-up already ran.
                _connectionTasks.TryRemove(id, out _);
            }
        }
    }

    private async Task RunConnectionAsync(HttpConnection connection, bool req)
    {
        try
        {
            await connection.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug in one connection must not take the process down.
            LogConnectionFailed(_logger, connection.Id, ex);
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            Interlocked.Decrement(ref req ? ref _reqConnectionCount : ref _connectionCount);
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogConnectionFailed(_logger, connection.Id, ex);
            }
            _connectionTasks.TryRemove(connection.Id, out _);
        }
    }

    private async Task RefuseAsync(Socket client, int limit)
    {
        LogOverLimit(_logger, limit);
        try
        {
            var writer = new System.Buffers.ArrayBufferWriter<byte>(256);
            Http.HttpResponseWriter.WriteSimpleResponse(writer, 1, 503, "too many connections");
            await client.SendAsync(writer.WrittenMemory, SocketFlags.None).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The client left first; nothing to tell it.
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>Routes a received packet to its session's inbox (runs on the requester's poller thread).</summary>
    private void Route(ZhttpPacket packet)
    {
        var now = Environment.TickCount64;
        if (packet.Ids is { } ids)
        {
            foreach (var entry in ids)
            {
                if (_sessions.TryGetValue(entry.Id, out var s))
                {
                    s.LastReceived = now;
                    // Keep-alives and cancels, and fan-out data from our handler: every listed
                    // connection gets the same packet object with its own seq (nothing copied).
                    s.Inbox.TryWrite(new SessionPacket(packet, entry.Seq));
                }
            }
            return;
        }
        if (packet.Id is null || !_sessions.TryGetValue(packet.Id, out var session))
        {
            LogUnknownSession(_logger, packet.Id, packet.Type);
            return;
        }
        session.LastReceived = now;
        session.Inbox.TryWrite(packet);
    }

    /// <summary>The one coarse tick: advances the wheels of sessions (keep-alives, expiry), connections (slow heads, idle) and req deadlines.</summary>
    private async Task SweepAsync()
    {
        using var timer = new PeriodicTimer(_options.SweepInterval);
        var headTimeout = (long)_options.HeaderTimeout.TotalMilliseconds;
        var idleTimeout = (long)_options.IdleTimeout.TotalMilliseconds;
        var fired = new List<(ConnectionTimer Owner, long Due)>();
        var firedReq = new List<(ReqExchange Owner, long Due)>();
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                // Sessions: only those whose keep-alive or expiry came due (their own wheel).
                _sessionTimers?.Advance(now);
                // Connections: only those whose head/idle deadline came due (the wheel), not all.
                Timers.Advance(now, fired);
                foreach (var (handle, due) in fired)
                {
                    handle.Connection?.OnTimer(due, now, headTimeout, idleTimeout);
                }
                fired.Clear();
                ReqTimers.Advance(now, firedReq);
                foreach (var (exchange, _) in firedReq)
                {
                    exchange.Expire();
                }
                firedReq.Clear();
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
        foreach (var (l, spec) in _listeners)
        {
            l.Dispose();
            Transport.ListenerSocket.Cleanup(spec);
        }
        foreach (var (_, c) in _connections)
        {
            c.Abort();
        }
        try
        {
            // Connections send their cancels through the requester: let them finish before it goes.
            await Task.WhenAll(_loops.Concat(_connectionTasks.Values)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Leave the rest to process exit.
        }
        // Tell responders the sessions are gone before the sockets close.
        foreach (var (_, s) in _sessions)
        {
            s.End(cancel: true, Environment.TickCount64);
        }
        _requester?.Dispose();
        _reqRequester?.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "listening on {EndPoint}")]
    private static partial void LogListening(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "tls: cannot use identity {Name}: {Reason}")]
    private static partial void LogIdentityFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "connection limit {Limit} reached, refused a client with 503")]
    private static partial void LogOverLimit(ILogger logger, int limit);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "connection {ConnectionId} failed")]
    private static partial void LogConnectionFailed(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "zhttp: dropped {Type} packet for unknown session {SessionId}")]
    private static partial void LogUnknownSession(ILogger logger, string? sessionId, ZhttpPacketType type);
}
