using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Http;
using Pushpin.Connmgr.Transport;

namespace Pushpin.Connmgr.Server;

/// <summary>
/// One client connection: reads request heads, runs one zhttp session per request, writes the
/// responses in order (pipelined requests wait in the input pipe until their turn).
/// </summary>
internal sealed partial class HttpConnection : IAsyncDisposable
{
    private readonly HttpServer _server;
    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private readonly SslStream? _tls;
    private readonly ListenSpec _listener;
    private readonly SocketPipe _receive;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    // Null on a unix socket: upstream sends no peer address then, and names the host "localhost".
    private readonly IPEndPoint? _remote;
    private readonly IPEndPoint? _local;

    // How the peer appears in log lines.
    private readonly string _peer;

    // The peer-address of every initial packet (formatted once per connection, not per request).
    private readonly string? _peerAddress;
    private readonly ChunkedDecoder _chunked = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ILogger _logger;
    private Task? _receiveTask;
    private int _requestNumber;

    // Read by the sweep: when the current head started arriving (0 = not reading a head, or nothing yet).
    private long _headStarted;
    private volatile bool _readingHead;
    private volatile bool _headTimedOut;

    // Read by the sweep: when the connection started waiting for its next request (open or last response).
    private long _idleSince;
    private volatile bool _idleTimedOut;

    // When the wheel will next call OnTimer (long.MaxValue = no entry armed), and our handle in it.
    private long _timerDue = long.MaxValue;
    private readonly ConnectionTimer _timer;

    // An error response RespondAsync decided on, written by HandleRequestAsync once input is quiet.
    private (int Status, string Reason)? _pendingError;

    // Set by the input pump once the request body was fully read.
    private volatile bool _bodyDone;

    public HttpConnection(HttpServer server, long id, Socket socket, ListenSpec listener)
    {
        _server = server;
        Id = id;
        _socket = socket;
        _listener = listener;
        _logger = server.Logger;
        _timer = new ConnectionTimer(this);
        _network = new NetworkStream(socket, ownsSocket: true);
        _tls = listener.Tls ? new SslStream(_network, leaveInnerStreamOpen: true) : null;
        _receive = new SocketPipe(socket, _tls, server.ReceivePipeOptions);
        _input = _receive.Reader;
        _output = PipeWriter.Create(_tls ?? (Stream)_network, new StreamPipeWriterOptions(leaveOpen: true));
        if (socket.RemoteEndPoint is IPEndPoint remote && socket.LocalEndPoint is IPEndPoint local)
        {
            _remote = Normalize(remote);
            _local = Normalize(local);
            _peer = _remote.ToString();
            _peerAddress = _remote.Address.ToString();
        }
        else
        {
            _peer = "unix:" + listener.UnixPath;
        }
    }

    /// <summary>The scheme of request URIs on this connection (https/wss behind TLS, as upstream).</summary>
    private bool Secure => _tls is not null;

    public long Id { get; }

    private int BufferSize => _server.Options.BufferSize;

    public async Task RunAsync(CancellationToken stopping)
    {
        // Server shutdown aborts the connection: one registration instead of a linked source per connection.
        using var stop = stopping.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _abort);
        var ct = _abort.Token;
        if (_tls is not null && !await HandshakeAsync(ct).ConfigureAwait(false))
        {
            return;
        }
        // Started here, not queued: it runs until its first pending receive, then returns.
        _receiveTask = _receive.RunAsync();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var head = await ReadHeadAsync(ct).ConfigureAwait(false);
                if (head is null)
                {
                    return;
                }
                if (!await HandleRequestAsync(head, ct).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown or abort.
        }
        catch (IOException ex)
        {
            LogIoError(_logger, Id, ex.Message);
        }
    }

    /// <summary>
    /// Called by the sweep when this connection's wheel entry for <paramref name="due"/> came up:
    /// fail a request head that is arriving too slowly, close a connection that has waited too
    /// long for its next request, else schedule the next check (timers are lazy, see
    /// <see cref="TimerWheel{T}"/>).
    /// </summary>
    public void OnTimer(long due, long now, long headTimeout, long idleTimeout)
    {
        if (Interlocked.CompareExchange(ref _timerDue, long.MaxValue, due) != due)
        {
            // Superseded by an earlier entry (which already ran or will).
            return;
        }
        if (!_readingHead)
        {
            // Busy with a request: the next head read arms the timer again.
            return;
        }
        var started = Volatile.Read(ref _headStarted);
        if (started != 0)
        {
            if (now - started > headTimeout)
            {
                _headTimedOut = true;
                WakeReader();
            }
            else
            {
                ArmTimer(started + headTimeout + 1);
            }
            return;
        }
        var idleSince = Volatile.Read(ref _idleSince);
        if (now - idleSince > idleTimeout)
        {
            _idleTimedOut = true;
            WakeReader();
            return;
        }
        // A head may start arriving any moment: check again by then at the latest.
        ArmTimer(Math.Min(idleSince + idleTimeout, now + headTimeout) + 1);
    }

    /// <summary>Makes sure the wheel calls <see cref="OnTimer"/> no later than <paramref name="due"/>.</summary>
    private void ArmTimer(long due)
    {
        while (true)
        {
            var current = Volatile.Read(ref _timerDue);
            if (due >= current)
            {
                // An earlier entry exists; it re-arms for the rest when it fires.
                return;
            }
            if (Interlocked.CompareExchange(ref _timerDue, due, current) == current)
            {
                _server.Timers.Schedule(_timer, due);
                return;
            }
        }
    }

    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
        WakeReader();
    }

    /// <summary>Wakes a pending input read; harmless if the connection is already torn down (the sweep races with it).</summary>
    private void WakeReader()
    {
        try
        {
            _input.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // Reader completed.
        }
    }

    private async Task<HttpRequestHead?> ReadHeadAsync(CancellationToken ct)
    {
        var now = Environment.TickCount64;
        Volatile.Write(ref _headStarted, 0);
        Volatile.Write(ref _idleSince, now);
        _idleTimedOut = false;
        _readingHead = true;
        // Set after _readingHead, so an entry firing meanwhile sees the read and re-arms.
        var options = _server.Options;
        ArmTimer(now + (long)Math.Min(options.HeaderTimeout.TotalMilliseconds, options.IdleTimeout.TotalMilliseconds) + 1);
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(ct).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (_headTimedOut)
                {
                    _input.AdvanceTo(buffer.End);
                    await RejectAsync(RequestRejection.HeaderTimeout).ConfigureAwait(false);
                    return null;
                }
                if (result.IsCanceled)
                {
                    if (_idleTimedOut && buffer.IsEmpty)
                    {
                        LogIdle(_logger, Id, _peer);
                        _input.AdvanceTo(buffer.End);
                        return null;
                    }
                    // A leftover wake-up from the previous request's input pump, or bytes that
                    // arrived as the sweep declared the connection idle.
                    _idleTimedOut = false;
                    _input.AdvanceTo(buffer.Start);
                    continue;
                }
                if (!buffer.IsEmpty && Volatile.Read(ref _headStarted) == 0)
                {
                    Volatile.Write(ref _headStarted, Environment.TickCount64);
                }
                var status = HttpRequestParser.TryParse(buffer, BufferSize, out var head, out var consumed, out var examined, out var rejection);
                switch (status)
                {
                    case ParseStatus.Complete:
                        _input.AdvanceTo(consumed);
                        return head;
                    case ParseStatus.Rejected:
                        _input.AdvanceTo(buffer.End);
                        await RejectAsync(rejection).ConfigureAwait(false);
                        return null;
                }
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        LogIncompleteHead(_logger, Id, _peer);
                    }
                    _input.AdvanceTo(buffer.End);
                    return null;
                }
                _input.AdvanceTo(consumed, examined);
            }
        }
        finally
        {
            _readingHead = false;
        }
    }

    private async Task RejectAsync(RequestRejection rejection)
    {
        var status = RequestRejections.StatusCode(rejection);
        var reason = RequestRejections.Describe(rejection);
        LogRejected(_logger, Id, _peer, status, reason);
        await WriteErrorAndCloseAsync(status, reason).ConfigureAwait(false);
    }

    /// <summary>Writes a short error response, then closes gently so the client gets to read it.</summary>
    private async Task WriteErrorAndCloseAsync(int status, string body, int minorVersion = 1)
    {
        try
        {
            HttpResponseWriter.WriteSimpleResponse(_output, minorVersion, status, body);
            await _output.FlushAsync().ConfigureAwait(false);
            await ShutdownSendAsync().ConfigureAwait(false);
            await DrainAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The client is gone already.
        }
    }

    /// <summary>
    /// Reads and drops what the client still sends (bounded in time and size): closing a socket
    /// with unread input sends a reset, which can destroy the response before the client reads it.
    /// </summary>
    private async Task DrainAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        long drained = 0;
        try
        {
            while (drained < 1 << 20)
            {
                var result = await _input.ReadAsync(timeout.Token).ConfigureAwait(false);
                drained += result.Buffer.Length;
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || (result.IsCanceled && _abort.IsCancellationRequested))
                {
                    break;
                }
                // Otherwise a cancel is a leftover wake-up meant for the stopped input pump.
            }
        }
        catch (OperationCanceledException)
        {
            // Enough waiting.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Release();
        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // Unflushed bytes to a dead client.
        }
        try
        {
            // FIN rather than a reset: the client reads the whole response before it sees the close.
            await ShutdownSendAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // Already closed by the client (or the TLS handshake never finished).
        }
        _socket.Dispose();
        if (_tls is not null)
        {
            await _tls.DisposeAsync().ConfigureAwait(false);
        }
        await _network.DisposeAsync().ConfigureAwait(false);
        if (_receiveTask is not null)
        {
            await _receiveTask.ConfigureAwait(false);
        }
        _abort.Dispose();
    }

    /// <summary>Ends our sending side: TLS close_notify first when encrypted, then FIN.</summary>
    private async Task ShutdownSendAsync()
    {
        if (_tls is { IsAuthenticated: true })
        {
            await _tls.ShutdownAsync().ConfigureAwait(false);
        }
        _socket.Shutdown(SocketShutdown.Send);
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "conn {ConnectionId} {Remote}: rejected request with {Status}: {Reason}")]
    private static partial void LogRejected(ILogger logger, long connectionId, string remote, int status, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "conn {ConnectionId} {Remote}: closed in the middle of a request head")]
    private static partial void LogIncompleteHead(ILogger logger, long connectionId, string remote);

    [LoggerMessage(EventId = 15, Level = LogLevel.Debug, Message = "conn {ConnectionId} {Remote}: idle, closing")]
    private static partial void LogIdle(ILogger logger, long connectionId, string remote);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "conn {ConnectionId}: I/O error: {Reason}")]
    private static partial void LogIoError(ILogger logger, long connectionId, string reason);
}
