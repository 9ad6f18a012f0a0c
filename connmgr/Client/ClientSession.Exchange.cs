using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Http;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.Connmgr.Client;

internal sealed partial class ClientSession
{
    private const int MaxResponseHead = 65536;

    // As upstream connmgr (follow-redirects).
    private const int MaxRedirects = 8;

    private string? _hostOverride;
    private Uri? _currentUri;

    private BackendConnection? _conn;
    private Stream? _stream;
    private BodyFraming _requestFraming;
    private bool _requestBodyDone;
    private bool _headWritten;
    private bool _responseBytesSeen;
    private long _responseBodyBytes;

    // The response ended where its framing said, so the connection can carry another request.
    private bool _reusable;

    /// <summary>Why the exchange failed, as a zhttp error condition.</summary>
    private sealed class ExchangeException(string condition, string message) : Exception(message)
    {
        public string Condition { get; } = condition;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _abort.Token, _timedOut.Token);
        var ct = linked.Token;
        Task? inboxTask = null;
        var responseStarted = false;
        try
        {
            var (uri, isHead) = Validate(_initial);
            if (uri.Scheme is "ws" or "wss")
            {
                StartWebSocket();
                await AcquireConnectionAsync(uri, useConnectOverride: true, mayReuse: false, ct).ConfigureAwait(false);
                inboxTask = PumpWebSocketInboxAsync(ct);
                await RunWebSocketAsync(uri, () => responseStarted = true, ct).ConfigureAwait(false);
                return;
            }
            var redirects = 0;
            var retried = false;
            while (true)
            {
                _currentUri = uri;
                await AcquireConnectionAsync(uri, useConnectOverride: redirects == 0, mayReuse: !retried, ct).ConfigureAwait(false);
                Uri? redirect;
                try
                {
                    await WriteRequestHeadAsync(uri, ct).ConfigureAwait(false);
                    if (inboxTask is null)
                    {
                        inboxTask = PumpInboxAsync(ct);
                        if (_initial.More)
                        {
                            // Let the requester send the rest of the body.
                            Send(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = _owner.Options.BufferSize });
                        }
                    }
                    redirect = await RelayResponseAsync(isHead, () => responseStarted = true, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (!retried && MayRetry(ex))
                {
                    // A kept-alive connection the backend had already given up on: once more on a fresh one.
                    LogRetry(_owner.Logger, Id, _conn!.Uses, ex.Message);
                    retried = true;
                    await DropConnectionAsync().ConfigureAwait(false);
                    continue;
                }
                if (redirect is null)
                {
                    break;
                }
                if (++redirects > MaxRedirects)
                {
                    throw new ExchangeException("too-many-redirects", $"more than {MaxRedirects} redirects");
                }
                await DropConnectionAsync().ConfigureAwait(false);
                uri = redirect;
                _hostOverride = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}";
            }
        }
        catch (ExchangeException ex)
        {
            LogFailed(_owner.Logger, Id, ex.Condition, ex.Message);
            SendFailure(responseStarted, ex.Condition);
        }
        catch (OperationCanceledException) when (_requestTimedOut && !_abort.IsCancellationRequested)
        {
            LogFailed(_owner.Logger, Id, "session-timeout", $"not done within the request's timeout ({_initial.Timeout} ms)");
            SendFailure(responseStarted, "session-timeout");
        }
        catch (OperationCanceledException) when (_timedOut.IsCancellationRequested && !_abort.IsCancellationRequested)
        {
            LogFailed(_owner.Logger, Id, "connection-timeout", "no data from the backend in time");
            SendFailure(responseStarted, "connection-timeout");
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the requester, expired, or shutting down.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            LogFailed(_owner.Logger, Id, "undefined-condition", ex.Message);
            SendFailure(responseStarted, "remote-connection-failed");
        }
        finally
        {
            Abort();
            if (inboxTask is not null)
            {
                try
                {
                    await inboxTask.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
                {
                    // The exchange is over either way.
                }
            }
            if (_conn is not null)
            {
                if (_reusable && _requestBodyDone && !_isWebSocket)
                {
                    _owner.Pool.Return(_conn);
                }
                else
                {
                    await _conn.DisposeAsync().ConfigureAwait(false);
                }
            }
            _owner.Remove(this);
            _abort.Dispose();
            _timedOut.Dispose();
        }
    }

    /// <summary>
    /// A request may go again on a fresh connection when it went out on a reused one, not a
    /// byte of response came back, and replaying it is safe: its whole body was in the first
    /// packet and either nothing reached the backend or the method is idempotent.
    /// </summary>
    private bool MayRetry(Exception ex)
    {
        if (_conn is not { Reused: true } || _responseBytesSeen || _initial.More)
        {
            return false;
        }
        var dead = ex is IOException or SocketException || ex is ExchangeException { Condition: "remote-connection-failed" };
        return dead && (!_headWritten || _initial.Method is "GET" or "HEAD" or "OPTIONS" or "TRACE" or "PUT" or "DELETE");
    }

    /// <summary>Closes the current backend connection (redirects, retries).</summary>
    private async Task DropConnectionAsync()
    {
        var c = _conn;
        _conn = null;
        _stream = null;
        _reusable = false;
        _responseBytesSeen = false;
        _headWritten = false;
        if (c is not null)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Tells the requester why the session failed: the condition before the response started;
    /// after it, <c>cancel</c> for a WebSocket (as upstream) and <c>undefined-condition</c> for HTTP
    /// (except the request's own limits: <c>max-size-exceeded</c>, <c>session-timeout</c>).</summary>
    private void SendFailure(bool responseStarted, string condition)
    {
        if (responseStarted && _isWebSocket)
        {
            Send(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
            return;
        }
        // The request's own limits keep their condition mid-response, as zurl.
        SendError(responseStarted && condition is not ("max-size-exceeded" or "session-timeout") ? "undefined-condition" : condition);
    }

    private static (Uri Uri, bool IsHead) Validate(ZhttpPacket p)
    {
        if (!Uri.TryCreate(p.Uri, UriKind.Absolute, out var uri))
        {
            throw new ExchangeException("bad-request", $"bad uri '{p.Uri}'");
        }
        if (uri.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            throw new ExchangeException("bad-request", $"unsupported scheme '{uri.Scheme}'");
        }
        if (uri.Scheme is "ws" or "wss")
        {
            // The handshake is always a GET; upstream requesters may leave the method out.
            return (uri, false);
        }
        var method = p.Method ?? string.Empty;
        if (method.Length == 0 || method.Any(c => c <= ' ' || c >= 0x7f))
        {
            throw new ExchangeException("bad-request", "bad method");
        }
        return (uri, method == "HEAD");
    }

    /// <summary>Sets <see cref="_conn"/>: an idle pooled connection to the same target when allowed, else a new one.</summary>
    private async Task AcquireConnectionAsync(Uri uri, bool useConnectOverride, bool mayReuse, CancellationToken ct)
    {
        var host = (useConnectOverride ? _initial.ConnectHost : null) ?? uri.IdnHost;
        var port = useConnectOverride && _initial.ConnectPort > 0 ? _initial.ConnectPort : uri.Port;
        var tls = uri.Scheme is "https" or "wss";
        string? tlsHost = null;
        if (tls)
        {
            tlsHost = _initial.TrustConnectHost && useConnectOverride && _initial.ConnectHost is not null ? _initial.ConnectHost : uri.IdnHost;
        }
        var key = new PoolKey(host, port, tlsHost, tls && _initial.IgnoreTlsErrors, tls ? _initial.ClientCert : null, _initial.IgnorePolicies || !_owner.Options.DenyOutInternal);
        RefreshStreamTimeout();
        if (mayReuse && _owner.Pool.Take(key) is { } pooled)
        {
            _conn = pooled;
        }
        else
        {
            // Connect and TLS handshake share one deadline: a backend that accepts but never
            // finishes the handshake is as unreachable as one that never accepts.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_owner.Options.ConnectTimeout);
            var socket = await ConnectAsync(host, port, timeout.Token, ct).ConfigureAwait(false);
            try
            {
                var stream = await OpenStreamAsync(socket, tlsHost, timeout.Token, ct).ConfigureAwait(false);
                _conn = new BackendConnection(key, socket, stream, _owner.Options.BufferSize);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        _conn.Uses++;
        _stream = _conn.Stream;
        _reusable = false;
        _responseBytesSeen = false;
        _headWritten = false;
        RefreshStreamTimeout();
    }

    private async Task<Socket> ConnectAsync(string host, int port, CancellationToken timeout, CancellationToken ct)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, timeout).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new ExchangeException("remote-connection-failed", $"cannot resolve {host}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ExchangeException("connection-timeout", $"resolving {host} timed out");
        }
        if (_owner.Options.DenyOutInternal && !_initial.IgnorePolicies)
        {
            addresses = addresses.Where(a => !AddressPolicy.IsInternal(a)).ToArray();
            if (addresses.Length == 0)
            {
                throw new ExchangeException("policy-violation", $"{host} is an internal address");
            }
        }
        if (addresses.Length == 0)
        {
            throw new ExchangeException("remote-connection-failed", $"{host} has no address");
        }
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                socket.Dispose();
                throw new ExchangeException("connection-timeout", $"connect to {host}:{port} timed out");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new ExchangeException("remote-connection-failed", $"connect to {host}:{port} failed: {last?.Message}");
    }

    private async Task<Stream> OpenStreamAsync(Socket socket, string? tlsHost, CancellationToken timeout, CancellationToken ct)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        if (tlsHost is null)
        {
            return network;
        }
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = tlsHost,
            RemoteCertificateValidationCallback = _initial.IgnoreTlsErrors ? (_, _, _, _) => true : null,
        };
        try
        {
            if (!string.IsNullOrEmpty(_initial.ClientCert))
            {
                // An unreadable certificate or key fails this request as a TLS error.
                options.ClientCertificates = ClientCertificates.Load(_initial.ClientCert, _initial.ClientKey);
            }
            await ssl.AuthenticateAsClientAsync(options, timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new ExchangeException("connection-timeout", $"TLS handshake with {tlsHost} timed out");
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new ExchangeException("tls-error", ex.Message);
        }
        return ssl;
    }

    private async Task WriteRequestHeadAsync(Uri uri, CancellationToken ct)
    {
        var headers = _initial.Headers ?? [];
        var hasHost = false;
        long contentLength = -1;
        foreach (var h in headers)
        {
            if (h.Is("Host"))
            {
                hasHost = true;
            }
            else if (h.Is("Content-Length") && !long.TryParse(h.Value, NumberStyles.None, CultureInfo.InvariantCulture, out contentLength))
            {
                throw new ExchangeException("bad-request", "bad Content-Length");
            }
        }

        // The head goes straight from the packet's strings into the buffer (no per-header copies).
        var writer = new ArrayBufferWriter<byte>(1024);
        WriteAscii(writer, _initial.Method!);
        WriteAscii(writer, " ");
        WriteAscii(writer, uri.PathAndQuery);
        WriteAscii(writer, " HTTP/1.1\r\n");
        if (!hasHost)
        {
            HttpResponseWriter.WriteHeader(writer, "Host", uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}");
        }
        foreach (var h in headers)
        {
            // Framing and connection management are per hop: ours to decide.
            if (h.Is("Connection") || h.Is("Keep-Alive") || h.Is("Transfer-Encoding") || h.Is("Proxy-Connection") || h.Is("TE") || h.Is("Upgrade"))
            {
                continue;
            }
            HttpResponseWriter.WriteHeader(writer, h.Name, h.Is("Host") ? _hostOverride ?? h.Value : h.Value);
        }
        var body = _initial.Body;
        if (contentLength >= 0)
        {
            _requestFraming = BodyFraming.ContentLength;
        }
        else if (_initial.More)
        {
            _requestFraming = BodyFraming.Chunked;
            HttpResponseWriter.WriteHeader(writer, "Transfer-Encoding", "chunked");
        }
        else if (body.Length > 0 || _initial.Method is "POST" or "PUT" or "PATCH")
        {
            _requestFraming = BodyFraming.ContentLength;
            WriteAscii(writer, "Content-Length: ");
            HttpResponseWriter.WriteNumber(writer, body.Length);
            WriteAscii(writer, "\r\n");
        }
        if (_owner.Options.PoolMaxIdlePerTarget <= 0)
        {
            // Nothing is kept: say so, so the backend does not wait for another request.
            HttpResponseWriter.WriteHeader(writer, "Connection", "close");
        }
        WriteAscii(writer, "\r\n");
        WriteBody(writer, body.Span, last: !_initial.More);
        await _stream!.WriteAsync(writer.WrittenMemory, ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        _headWritten = true;
        _requestBodyDone = !_initial.More;
    }

    private void WriteBody(IBufferWriter<byte> writer, ReadOnlySpan<byte> body, bool last)
    {
        if (_requestFraming == BodyFraming.Chunked)
        {
            HttpResponseWriter.WriteChunk(writer, body);
            if (last)
            {
                HttpResponseWriter.WriteLastChunk(writer);
            }
        }
        else
        {
            writer.Write(body);
        }
    }

    private static void WriteAscii(IBufferWriter<byte> writer, string text)
    {
        var span = writer.GetSpan(text.Length);
        var n = System.Text.Encoding.Latin1.GetBytes(text, span);
        writer.Advance(n);
    }

    /// <summary>
    /// The requester's next packet, its seq checked and its credits counted; null when the
    /// session is over (the requester cancelled or failed, or broke the sequence: then we cancel).
    /// </summary>
    private async ValueTask<ZhttpPacket?> ReadInboxAsync(CancellationToken ct)
    {
        var (packet, seq) = await Inbox.ReadAsync(ct).ConfigureAwait(false);
        if (packet.Type is ZhttpPacketType.Cancel or ZhttpPacketType.Error)
        {
            LogCancelled(_owner.Logger, Id, packet.Type);
            Abort();
            return null;
        }
        if (seq >= 0)
        {
            if (seq != InSeq)
            {
                LogBadSeq(_owner.Logger, Id, InSeq, seq);
                Send(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
                Abort();
                return null;
            }
            InSeq++;
        }
        AddCredits(packet.Credits);
        return packet;
    }

    /// <summary>Handles what the requester sends after the first packet: body, credits, cancel.</summary>
    private async Task PumpInboxAsync(CancellationToken ct)
    {
        // Only requests with a streamed body need a buffer for it.
        ArrayBufferWriter<byte>? writer = null;
        while (true)
        {
            if (await ReadInboxAsync(ct).ConfigureAwait(false) is not { } packet)
            {
                return;
            }
            if (packet.Type != ZhttpPacketType.Data || _requestBodyDone)
            {
                continue;
            }
            writer ??= new ArrayBufferWriter<byte>(_owner.Options.BufferSize + 32);
            writer.ResetWrittenCount();
            WriteBody(writer, packet.Body.Span, last: !packet.More);
            await _stream!.WriteAsync(writer.WrittenMemory, ct).ConfigureAwait(false);
            await _stream.FlushAsync(ct).ConfigureAwait(false);
            RefreshStreamTimeout();
            // Only once written: a connection goes back to the pool only after the whole request left.
            _requestBodyDone = !packet.More;
            if (packet.More && packet.Body.Length > 0)
            {
                Send(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = packet.Body.Length });
            }
        }
    }

    /// <summary>Reads the backend's response and sends it on. Returns where to go instead when following a redirect.</summary>
    private async Task<Uri?> RelayResponseAsync(bool isHead, Action started, CancellationToken ct)
    {
        var reader = _conn!.Reader;
        {
            HttpResponseHead head;
            while (true)
            {
                head = await ReadHeadAsync(reader, ct).ConfigureAwait(false);
                if (head.Code >= 200 || head.Code == 101)
                {
                    break;
                }
                // Interim responses (100 Continue, 103) are not forwarded.
            }
            if (head.Code == 101)
            {
                throw new ExchangeException("undefined-condition", "unexpected 101 Switching Protocols");
            }
            if (RedirectTarget(head) is { } next)
            {
                return next;
            }
            var noBody = isHead || head.Code is 204 or 304;
            var headers = new List<HttpHeader>(head.Headers.Count);
            foreach (var h in head.Headers)
            {
                if (h.Name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                    || h.Name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                    || h.Name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                headers.Add(new HttpHeader(h.Name, h.Value));
            }
            if (!noBody && _initial.MaxSize > 0 && head.ContentLength > _initial.MaxSize)
            {
                // Known too big before anything went out: a clean error instead of a cut response.
                throw new ExchangeException("max-size-exceeded", $"response body of {head.ContentLength} bytes over max-size {_initial.MaxSize}");
            }
            started();
            Send(new ZhttpPacket { Code = head.Code, Reason = head.Reason, Headers = headers, More = !noBody });
            if (!noBody)
            {
                await RelayBodyAsync(reader, head, ct).ConfigureAwait(false);
            }
            // Kept only when the response said where it ended (not close-delimited) and did not ask to close.
            _reusable = head.MinorVersion >= 1 && !AsksToClose(head) && (noBody || head.Chunked || head.ContentLength >= 0);
            return null;
        }
    }

    private static bool AsksToClose(HttpResponseHead head)
    {
        foreach (var h in head.Headers)
        {
            if (h.Name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && WebSocketHandshake.HasToken(h.Value, "close"))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The next URI when <c>follow-redirects</c> applies (only for requests without a body, which can be replayed).</summary>
    private Uri? RedirectTarget(HttpResponseHead head)
    {
        if (!_initial.FollowRedirects || head.Code is not (301 or 302 or 303 or 307 or 308) || _initial.More || _initial.Body.Length > 0)
        {
            return null;
        }
        var location = head.Headers.FirstOrDefault(h => h.Name.Equals("Location", StringComparison.OrdinalIgnoreCase)).Value;
        if (string.IsNullOrEmpty(location) || !Uri.TryCreate(_currentUri, location, out var next) || next.Scheme is not ("http" or "https"))
        {
            return null;
        }
        return next;
    }

    private async Task<HttpResponseHead> ReadHeadAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            RefreshStreamTimeout();
            var buffer = result.Buffer;
            _responseBytesSeen |= buffer.Length > 0;
            var status = HttpResponseParser.TryParse(buffer, MaxResponseHead, out var head, out var consumed, out var error);
            if (status == ParseStatus.Complete)
            {
                reader.AdvanceTo(consumed);
                return head!;
            }
            if (status == ParseStatus.Rejected)
            {
                throw new ExchangeException("undefined-condition", $"bad response: {error}");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new ExchangeException("remote-connection-failed", "connection closed before a response");
            }
        }
    }

    private async Task RelayBodyAsync(PipeReader reader, HttpResponseHead head, CancellationToken ct)
    {
        var remaining = head.ContentLength;
        var chunked = head.Chunked ? new ChunkedDecoder() : null;
        var chunk = ArrayPool<byte>.Shared.Rent(_owner.Options.BufferSize);
        try
        {
            if (remaining == 0)
            {
                Send(new ZhttpPacket());
                return;
            }
            while (true)
            {
                var credits = await WaitForCreditsAsync(ct).ConfigureAwait(false);
                var limit = (int)Math.Min(credits, _owner.Options.BufferSize);
                var result = await reader.ReadAsync(ct).ConfigureAwait(false);
                RefreshStreamTimeout();
                var buffer = result.Buffer;
                var n = 0;
                var done = false;
                var needMore = false;
                SequencePosition consumed;
                if (chunked is not null)
                {
                    var rest = buffer;
                    while (true)
                    {
                        var status = chunked.Read(rest, limit - n, out var data, out var c, out _);
                        rest = rest.Slice(c);
                        if (status == ChunkedStatus.Data)
                        {
                            data.CopyTo(chunk.AsSpan(n));
                            n += (int)data.Length;
                            if (n == limit)
                            {
                                break;
                            }
                            continue;
                        }
                        if (status == ChunkedStatus.Rejected)
                        {
                            throw new ExchangeException("undefined-condition", "bad chunked response body");
                        }
                        done = status == ChunkedStatus.Done;
                        needMore = status == ChunkedStatus.NeedMoreData;
                        break;
                    }
                    consumed = rest.Start;
                }
                else
                {
                    var take = (int)Math.Min(remaining >= 0 ? Math.Min(remaining, buffer.Length) : buffer.Length, limit);
                    buffer.Slice(0, take).CopyTo(chunk);
                    n = take;
                    consumed = buffer.GetPosition(take);
                    if (remaining >= 0)
                    {
                        remaining -= take;
                        done = remaining == 0;
                    }
                    else
                    {
                        // Close-delimited: the end of input is the end of the body.
                        done = result.IsCompleted && take == buffer.Length;
                    }
                    needMore = take == buffer.Length && !done;
                }
                reader.AdvanceTo(consumed, needMore ? buffer.End : consumed);
                _responseBodyBytes += n;
                if (_initial.MaxSize > 0 && _responseBodyBytes > _initial.MaxSize)
                {
                    // Chunked or close-delimited bodies reveal their size only as they come (zurl checks the same way).
                    throw new ExchangeException("max-size-exceeded", $"response body over max-size {_initial.MaxSize}");
                }
                if (n > 0 || done)
                {
                    SpendCredits(n);
                    Send(new ZhttpPacket { Body = chunk.AsMemory(0, n), More = !done });
                }
                if (done)
                {
                    return;
                }
                if (needMore && result.IsCompleted)
                {
                    throw new ExchangeException("undefined-condition", "backend closed in the middle of the body");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "client: session {SessionId} failed ({Condition}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string sessionId, string condition, string reason);

    [LoggerMessage(EventId = 43, Level = LogLevel.Debug, Message = "client: session {SessionId} ended by requester ({Type})")]
    private static partial void LogCancelled(ILogger logger, string sessionId, ZhttpPacketType type);

    [LoggerMessage(EventId = 52, Level = LogLevel.Debug, Message = "client: session {SessionId} retrying on a fresh connection (the kept one, use {Uses}, failed: {Reason})")]
    private static partial void LogRetry(ILogger logger, string sessionId, int uses, string reason);

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "client: session {SessionId} expected seq {Expected}, got {Actual}")]
    private static partial void LogBadSeq(ILogger logger, string sessionId, int expected, int actual);
}
