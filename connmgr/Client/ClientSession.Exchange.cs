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

namespace Pushpin.Connmgr.Client;

internal sealed partial class ClientSession
{
    private const int MaxResponseHead = 65536;

    // As upstream connmgr (follow-redirects).
    private const int MaxRedirects = 8;

    private string? _hostOverride;
    private Uri? _currentUri;

    private Stream? _stream;
    private BodyFraming _requestFraming;
    private bool _requestBodyDone;

    /// <summary>Why the exchange failed, as a zhttp error condition.</summary>
    private sealed class ExchangeException(string condition, string message) : Exception(message)
    {
        public string Condition { get; } = condition;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _abort.Token);
        var ct = linked.Token;
        Socket? socket = null;
        Task? inboxTask = null;
        var responseStarted = false;
        try
        {
            var (uri, isHead) = Validate(_initial);
            if (uri.Scheme is "ws" or "wss")
            {
                _isWebSocket = true;
                socket = await ConnectAsync(uri, useConnectOverride: true, ct).ConfigureAwait(false);
                _stream = await OpenStreamAsync(socket, uri, ct).ConfigureAwait(false);
                inboxTask = PumpWebSocketInboxAsync(ct);
                await RunWebSocketAsync(uri, () => responseStarted = true, ct).ConfigureAwait(false);
                return;
            }
            var redirects = 0;
            while (true)
            {
                _currentUri = uri;
                socket = await ConnectAsync(uri, useConnectOverride: redirects == 0, ct).ConfigureAwait(false);
                _stream = await OpenStreamAsync(socket, uri, ct).ConfigureAwait(false);
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
                var redirect = await RelayResponseAsync(isHead, () => responseStarted = true, ct).ConfigureAwait(false);
                if (redirect is null)
                {
                    break;
                }
                if (++redirects > MaxRedirects)
                {
                    throw new ExchangeException("too-many-redirects", $"more than {MaxRedirects} redirects");
                }
                await _stream.DisposeAsync().ConfigureAwait(false);
                _stream = null;
                socket.Dispose();
                uri = redirect;
                _hostOverride = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}";
            }
        }
        catch (ExchangeException ex)
        {
            LogFailed(_owner.Logger, Id, ex.Condition, ex.Message);
            SendFailure(responseStarted, ex.Condition);
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
            if (_stream is not null)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
            socket?.Dispose();
            _owner.Remove(this);
            _abort.Dispose();
        }
    }

    /// <summary>Tells the requester why the session failed: the condition before the response started;
    /// after it, <c>cancel</c> for a WebSocket (as upstream) and <c>undefined-condition</c> for HTTP.</summary>
    private void SendFailure(bool responseStarted, string condition)
    {
        if (responseStarted && _isWebSocket)
        {
            Send(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
            return;
        }
        SendError(responseStarted ? "undefined-condition" : condition);
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

    private async Task<Socket> ConnectAsync(Uri uri, bool useConnectOverride, CancellationToken ct)
    {
        var host = (useConnectOverride ? _initial.ConnectHost : null) ?? uri.IdnHost;
        var port = useConnectOverride && _initial.ConnectPort > 0 ? _initial.ConnectPort : uri.Port;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new ExchangeException("remote-connection-failed", $"cannot resolve {host}: {ex.Message}");
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_owner.Options.ConnectTimeout);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).ConfigureAwait(false);
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

    private async Task<Stream> OpenStreamAsync(Socket socket, Uri uri, CancellationToken ct)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        if (uri.Scheme is not ("https" or "wss"))
        {
            return network;
        }
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        var ignoreErrors = _initial.IgnoreTlsErrors;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = _initial.TrustConnectHost && _initial.ConnectHost is not null ? _initial.ConnectHost : uri.IdnHost,
            RemoteCertificateValidationCallback = ignoreErrors ? (_, _, _, _) => true : null,
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, ct).ConfigureAwait(false);
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
        var writer = new ArrayBufferWriter<byte>(1024);
        var target = uri.PathAndQuery;
        var headers = new List<HeaderField>();
        var hasHost = false;
        long contentLength = -1;
        foreach (var h in _initial.Headers ?? [])
        {
            // Framing and connection management are per hop: ours to decide.
            if (h.Is("Connection") || h.Is("Keep-Alive") || h.Is("Transfer-Encoding") || h.Is("Proxy-Connection") || h.Is("TE") || h.Is("Upgrade"))
            {
                continue;
            }
            if (h.Is("Content-Length"))
            {
                if (!long.TryParse(h.Value, NumberStyles.None, CultureInfo.InvariantCulture, out contentLength))
                {
                    throw new ExchangeException("bad-request", "bad Content-Length");
                }
            }
            if (h.Is("Host"))
            {
                hasHost = true;
                headers.Add(new HeaderField(h.Name, _hostOverride ?? h.Value));
                continue;
            }
            headers.Add(new HeaderField(h.Name, h.Value));
        }
        if (!hasHost)
        {
            headers.Insert(0, new HeaderField("Host", uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}"));
        }
        var body = _initial.Body;
        if (contentLength >= 0)
        {
            _requestFraming = BodyFraming.ContentLength;
        }
        else if (_initial.More)
        {
            _requestFraming = BodyFraming.Chunked;
            headers.Add(new HeaderField("Transfer-Encoding", "chunked"));
        }
        else if (body.Length > 0 || _initial.Method is "POST" or "PUT" or "PATCH")
        {
            _requestFraming = BodyFraming.ContentLength;
            headers.Add(new HeaderField("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)));
        }
        headers.Add(new HeaderField("Connection", "close"));

        WriteAscii(writer, _initial.Method!);
        WriteAscii(writer, " ");
        WriteAscii(writer, target);
        WriteAscii(writer, " HTTP/1.1\r\n");
        foreach (var h in headers)
        {
            HttpResponseWriter.WriteHeader(writer, h.Name, h.Value);
        }
        WriteAscii(writer, "\r\n");
        WriteBody(writer, body.Span, last: !_initial.More);
        _requestBodyDone = !_initial.More;
        await _stream!.WriteAsync(writer.WrittenMemory, ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
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

    /// <summary>Handles what the requester sends after the first packet: body, credits, cancel.</summary>
    private async Task PumpInboxAsync(CancellationToken ct)
    {
        var writer = new ArrayBufferWriter<byte>(_owner.Options.BufferSize + 32);
        while (true)
        {
            var packet = await Inbox.Reader.ReadAsync(ct).ConfigureAwait(false);
            if (packet.Type is ZhttpPacketType.Cancel or ZhttpPacketType.Error)
            {
                LogCancelled(_owner.Logger, Id, packet.Type);
                Abort();
                return;
            }
            if (packet.Seq >= 0)
            {
                if (packet.Seq != InSeq)
                {
                    LogBadSeq(_owner.Logger, Id, InSeq, packet.Seq);
                    Send(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
                    Abort();
                    return;
                }
                InSeq++;
            }
            AddCredits(packet.Credits);
            if (packet.Type != ZhttpPacketType.Data || _requestBodyDone)
            {
                continue;
            }
            writer.ResetWrittenCount();
            WriteBody(writer, packet.Body.Span, last: !packet.More);
            _requestBodyDone = !packet.More;
            await _stream!.WriteAsync(writer.WrittenMemory, ct).ConfigureAwait(false);
            await _stream.FlushAsync(ct).ConfigureAwait(false);
            if (packet.More && packet.Body.Length > 0)
            {
                Send(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = packet.Body.Length });
            }
        }
    }

    /// <summary>Reads the backend's response and sends it on. Returns where to go instead when following a redirect.</summary>
    private async Task<Uri?> RelayResponseAsync(bool isHead, Action started, CancellationToken ct)
    {
        var reader = PipeReader.Create(_stream!, new StreamPipeReaderOptions(bufferSize: Math.Max(4096, _owner.Options.BufferSize), leaveOpen: true, useZeroByteReads: true));
        try
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
            started();
            Send(new ZhttpPacket { Code = head.Code, Reason = head.Reason, Headers = headers, More = !noBody });
            if (!noBody)
            {
                await RelayBodyAsync(reader, head, ct).ConfigureAwait(false);
            }
            return null;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
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

    private static async Task<HttpResponseHead> ReadHeadAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
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

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "client: session {SessionId} expected seq {Expected}, got {Actual}")]
    private static partial void LogBadSeq(ILogger logger, string sessionId, int expected, int actual);
}
