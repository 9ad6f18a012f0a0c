using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Http;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.Connmgr.Client;

/// <summary>
/// WebSocket client mode (internals.md §3.10, connmgr as responder): a <c>ws://</c>/<c>wss://</c>
/// request becomes an outbound handshake; a 101 becomes a <c>code: 101</c> packet with credits,
/// any other answer an <c>error</c> <c>rejected</c>; then frames and packets flow both ways
/// under credits until both sides have closed.
/// </summary>
/// <remarks>
/// Framing uses connmgr/WebSockets rather than <c>WebSocket.CreateFromStream</c>: the managed
/// WebSocket answers pings itself and never surfaces ping/pong payloads, and it hides frame
/// boundaries, while zhttp carries pings, pongs and fragments as packets of their own.
/// </remarks>
internal sealed partial class ClientSession
{
    /// <summary>Largest backend frame: a frame is parsed whole from the input buffer.</summary>
    private const int MaxWebSocketFrame = 16 << 20;

    /// <summary>Largest message (after inflation); fragments stream through, so this only stops runaway messages.</summary>
    private const long MaxWebSocketMessage = 64L << 20;

    // Set by StartWebSocket: HTTP sessions never allocate them.
    private SemaphoreSlim? _writeLock;
    private TaskCompletionSource<bool>? _wsFinished;
    private WebSocketSender? _wsSender;
    private bool _wsDeflate;

    // Requester → backend message bytes we still allow (granted in the 101 and in credit packets); under _lock.
    private long _wsWindow;
    private bool _wsOpen;
    private bool _wsCloseSent;
    private bool _wsCloseReceived;
    private int _wsCloseTimerStarted;

    /// <summary>Makes this a WebSocket session: what only those need.</summary>
    private void StartWebSocket()
    {
        _isWebSocket = true;
        _writeLock = new SemaphoreSlim(1, 1);
        _wsFinished = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Handshake, then relays until the session is over. Returns normally when both sides closed.</summary>
    private async Task RunWebSocketAsync(Uri uri, Action started, CancellationToken ct)
    {
        var key = WebSocketHandshake.NewClientKey();
        var offerDeflate = _owner.Options.Compression || RequestAsksForDeflate();
        await WriteWebSocketHeadAsync(uri, key, offerDeflate, ct).ConfigureAwait(false);

        var reader = _conn!.Reader;
        {
            HttpResponseHead head;
            do
            {
                head = await ReadHeadAsync(reader, ct).ConfigureAwait(false);
            }
            while (head.Code is >= 100 and < 200 and not 101);

            if (head.Code != 101)
            {
                await RejectAsync(reader, head, ct).ConfigureAwait(false);
                return;
            }
            var passThrough = RequestedPassThroughExtensions();
            var deflate = CheckHandshakeAnswer(head, key, offerDeflate, passThrough, out var answeredPassThrough);
            using var receiver = new WebSocketReceiver(WebSocketRole.Client, deflate, MaxWebSocketMessage, MaxWebSocketFrame);
            using var sender = new WebSocketSender(WebSocketRole.Client, deflate);
            _wsSender = sender;
            _wsDeflate = deflate is not null;

            var headers = new List<HttpHeader>(head.Headers.Count);
            foreach (var h in head.Headers)
            {
                // Extensions belong to this hop (we inflate and deflate); the rest is the backend's.
                if (!h.Name.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase))
                {
                    headers.Add(new HttpHeader(h.Name, h.Value));
                }
            }
            if (answeredPassThrough.Count > 0)
            {
                // Extensions the requester asked for (e.g. the proxy's grip) are the requester's business.
                headers.Add(new HttpHeader("Sec-WebSocket-Extensions", string.Join(", ", answeredPassThrough)));
            }
            lock (_lock)
            {
                _wsWindow = _owner.Options.BufferSize;
                _wsOpen = true;
            }
            started();
            Send(new ZhttpPacket { Code = 101, Reason = head.Reason, Headers = headers, Credits = _owner.Options.BufferSize });
            LogWebSocketOpen(_owner.Logger, Id, deflate is not null);

            var input = PumpWebSocketInputAsync(reader, receiver, ct);
            var cancel = await _wsFinished!.Task.WaitAsync(ct).ConfigureAwait(false);
            if (cancel)
            {
                Send(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
            }
            Abort();
            await input.ConfigureAwait(false);
        }
    }

    private bool RequestAsksForDeflate()
    {
        foreach (var h in _initial.Headers ?? [])
        {
            if (h.Is("Sec-WebSocket-Extensions") && h.Value.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private async Task WriteWebSocketHeadAsync(Uri uri, string key, bool offerDeflate, CancellationToken ct)
    {
        var writer = new ArrayBufferWriter<byte>(1024);
        WriteAscii(writer, "GET ");
        WriteAscii(writer, uri.PathAndQuery);
        WriteAscii(writer, " HTTP/1.1\r\n");
        string? host = null;
        foreach (var h in _initial.Headers ?? [])
        {
            if (h.Is("Host"))
            {
                host ??= h.Value;
            }
        }
        HttpResponseWriter.WriteHeader(writer, "Host", host ?? (uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}"));
        HttpResponseWriter.WriteHeader(writer, "Upgrade", "websocket");
        HttpResponseWriter.WriteHeader(writer, "Connection", "Upgrade");
        HttpResponseWriter.WriteHeader(writer, "Sec-WebSocket-Version", "13");
        HttpResponseWriter.WriteHeader(writer, "Sec-WebSocket-Key", key);
        if (offerDeflate)
        {
            HttpResponseWriter.WriteHeader(writer, "Sec-WebSocket-Extensions", PerMessageDeflateNegotiator.ClientOffer);
        }
        var passThrough = RequestedPassThroughExtensions();
        if (passThrough.Count > 0)
        {
            HttpResponseWriter.WriteHeader(writer, "Sec-WebSocket-Extensions", string.Join(", ", passThrough));
        }
        foreach (var h in _initial.Headers ?? [])
        {
            // The handshake and the framing are ours; everything else (Origin, cookies,
            // Sec-WebSocket-Protocol, ...) goes through as the requester sent it.
            if (h.Is("Host") || h.Is("Connection") || h.Is("Upgrade") || h.Is("Sec-WebSocket-Version") || h.Is("Sec-WebSocket-Key")
                || h.Is("Sec-WebSocket-Extensions") || h.Is("Content-Length") || h.Is("Transfer-Encoding") || h.Is("Keep-Alive")
                || h.Is("Proxy-Connection") || h.Is("TE"))
            {
                continue;
            }
            HttpResponseWriter.WriteHeader(writer, h.Name, h.Value);
        }
        WriteAscii(writer, "\r\n");
        await WriteToBackendAsync(writer.WrittenMemory, ct).ConfigureAwait(false);
    }

    /// <summary>The backend said no: its response (body up to the buffer size) goes back as <c>error</c> <c>rejected</c>.</summary>
    private async Task RejectAsync(PipeReader reader, HttpResponseHead head, CancellationToken ct)
    {
        var limit = _owner.Options.BufferSize;
        var body = await ReadWholeBodyAsync(reader, head, limit, ct).ConfigureAwait(false)
            ?? throw new ExchangeException("rejection-too-large", $"rejection body over {limit} bytes");
        var headers = new List<HttpHeader>(head.Headers.Count);
        foreach (var h in head.Headers)
        {
            headers.Add(new HttpHeader(h.Name, h.Value));
        }
        LogWebSocketRejected(_owner.Logger, Id, head.Code);
        Send(new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "rejected", Code = head.Code, Reason = head.Reason, Headers = headers, Body = body });
    }

    /// <summary>A whole response body of at most <paramref name="limit"/> bytes, or null when it is larger.</summary>
    private static async Task<byte[]?> ReadWholeBodyAsync(PipeReader reader, HttpResponseHead head, int limit, CancellationToken ct)
    {
        var body = new ArrayBufferWriter<byte>(Math.Min(limit, 4096) + 1);
        var chunked = head.Chunked ? new ChunkedDecoder() : null;
        var remaining = chunked is null ? head.ContentLength : -1;
        while (remaining != 0)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var done = false;
            SequencePosition consumed;
            if (chunked is not null)
            {
                var rest = buffer;
                while (true)
                {
                    var status = chunked.Read(rest, limit + 1 - body.WrittenCount, out var data, out var c, out _);
                    rest = rest.Slice(c);
                    if (status == ChunkedStatus.Data)
                    {
                        foreach (var segment in data)
                        {
                            body.Write(segment.Span);
                        }
                        if (body.WrittenCount > limit)
                        {
                            return null;
                        }
                        continue;
                    }
                    if (status == ChunkedStatus.Rejected)
                    {
                        throw new ExchangeException("undefined-condition", "bad chunked response body");
                    }
                    done = status == ChunkedStatus.Done;
                    break;
                }
                consumed = rest.Start;
            }
            else
            {
                var take = remaining >= 0 ? Math.Min(remaining, buffer.Length) : buffer.Length;
                if (body.WrittenCount + take > limit)
                {
                    return null;
                }
                foreach (var segment in buffer.Slice(0, take))
                {
                    body.Write(segment.Span);
                }
                consumed = buffer.GetPosition(take);
                if (remaining >= 0)
                {
                    remaining -= take;
                    done = remaining == 0;
                }
            }
            reader.AdvanceTo(consumed, buffer.End);
            if (done)
            {
                break;
            }
            if (result.IsCompleted)
            {
                if (remaining < 0 && chunked is null)
                {
                    // Close-delimited: the end of input is the end of the body.
                    break;
                }
                throw new ExchangeException("undefined-condition", "backend closed in the middle of the body");
            }
        }
        return body.WrittenSpan.ToArray();
    }

    /// <summary>Checks the 101 (RFC 6455 §4.1): upgrade tokens, the accept value, extensions we offered. Returns the deflate settings.</summary>
    private static PerMessageDeflateParameters? CheckHandshakeAnswer(HttpResponseHead head, string key, bool offeredDeflate, List<string> passThroughOffered, out List<string> passThroughAnswered)
    {
        passThroughAnswered = [];
        string? accept = null;
        var upgrade = false;
        var connection = false;
        var extensions = new List<string>();
        foreach (var h in head.Headers)
        {
            if (h.Name.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            {
                accept = h.Value;
            }
            else if (h.Name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade |= WebSocketHandshake.HasToken(h.Value, "websocket");
            }
            else if (h.Name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connection |= WebSocketHandshake.HasToken(h.Value, "upgrade");
            }
            else if (h.Name.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var element in h.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (passThroughOffered.Any(o => ExtensionName(o).Equals(ExtensionName(element), StringComparison.OrdinalIgnoreCase)))
                    {
                        passThroughAnswered.Add(element);
                    }
                    else
                    {
                        extensions.Add(element);
                    }
                }
            }
        }
        if (!upgrade || !connection)
        {
            throw new ExchangeException("undefined-condition", "101 without Upgrade: websocket / Connection: upgrade");
        }
        if (!WebSocketHandshake.IsValidAccept(key, accept))
        {
            throw new ExchangeException("undefined-condition", "wrong Sec-WebSocket-Accept");
        }
        if (extensions.Count == 0)
        {
            return null;
        }
        if (!offeredDeflate || !PerMessageDeflateNegotiator.TryReadResponse(extensions, out var parameters))
        {
            throw new ExchangeException("undefined-condition", "extension answer we did not offer or cannot use");
        }
        return parameters;
    }

    /// <summary>
    /// Extensions the requester offered that are not this hop's compression (the proxy offers
    /// <c>grip</c>, behavior.md §7.2): offered to the backend as given, answers passed back.
    /// </summary>
    private List<string> RequestedPassThroughExtensions()
    {
        var result = new List<string>();
        foreach (var h in _initial.Headers ?? [])
        {
            if (!h.Is("Sec-WebSocket-Extensions"))
            {
                continue;
            }
            foreach (var element in h.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!ExtensionName(element).Equals("permessage-deflate", StringComparison.OrdinalIgnoreCase))
                {
                    result.Add(element);
                }
            }
        }
        return result;
    }

    private static string ExtensionName(string element)
    {
        var semi = element.IndexOf(';', StringComparison.Ordinal);
        return (semi < 0 ? element : element[..semi]).Trim();
    }

    /// <summary>Ends the relay: with <c>cancel</c> to the requester (true) or quietly (both closes exchanged).</summary>
    private void FinishWebSocket(bool cancel) => _wsFinished!.TrySetResult(cancel);

    /// <summary>After the first close of either side, the other gets a bounded time to answer.</summary>
    private void StartCloseTimer(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _wsCloseTimerStarted, 1) != 0)
        {
            return;
        }
        _ = CloseTimeoutAsync(ct);
    }

    private async Task CloseTimeoutAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(_owner.Options.WebSocketCloseTimeout, ct).ConfigureAwait(false);
            LogCloseTimeout(_owner.Logger, Id);
            FinishWebSocket(cancel: true);
        }
        catch (OperationCanceledException)
        {
            // The session ended first.
        }
    }

    /// <summary>Backend frames → packets: data under the requester's credits, ping/pong/close uncounted.</summary>
    private async Task PumpWebSocketInputAsync(PipeReader reader, WebSocketReceiver receiver, CancellationToken ct)
    {
        var payload = new ArrayBufferWriter<byte>(_owner.Options.BufferSize);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct).ConfigureAwait(false);
                RefreshStreamTimeout();
                var buffer = result.Buffer;
                while (true)
                {
                    payload.ResetWrittenCount();
                    var status = receiver.TryReceive(buffer, payload, out var received, out var consumed, out var error);
                    if (status == WebSocketParseStatus.NeedMoreData)
                    {
                        break;
                    }
                    if (status == WebSocketParseStatus.Error)
                    {
                        reader.AdvanceTo(result.Buffer.End);
                        LogBadFrame(_owner.Logger, Id, error.CloseCode, error.Reason);
                        await WriteCloseToBackendAsync(error.CloseCode, error.Reason, ct).ConfigureAwait(false);
                        FinishWebSocket(cancel: true);
                        return;
                    }
                    buffer = buffer.Slice(consumed);
                    switch (received.Opcode)
                    {
                        case WebSocketOpcode.Text:
                        case WebSocketOpcode.Binary:
                            await ForwardWebSocketDataAsync(received, payload.WrittenMemory, ct).ConfigureAwait(false);
                            break;
                        case WebSocketOpcode.Ping:
                        case WebSocketOpcode.Pong:
                            // Not answered here: the requester decides (as server mode, and upstream).
                            Send(new ZhttpPacket
                            {
                                Type = received.Opcode == WebSocketOpcode.Ping ? ZhttpPacketType.Ping : ZhttpPacketType.Pong,
                                Body = received.ControlPayload,
                            });
                            break;
                        case WebSocketOpcode.Close:
                            Send(new ZhttpPacket
                            {
                                Type = ZhttpPacketType.Close,
                                Code = received.CloseCode == WebSocketCloseCodes.NoStatus ? -1 : received.CloseCode,
                                Body = received.ControlPayload,
                            });
                            reader.AdvanceTo(buffer.Start);
                            bool both;
                            lock (_lock)
                            {
                                _wsCloseReceived = true;
                                both = _wsCloseSent;
                            }
                            if (both)
                            {
                                FinishWebSocket(cancel: false);
                            }
                            else
                            {
                                StartCloseTimer(ct);
                            }
                            return;
                    }
                }
                reader.AdvanceTo(buffer.Start, result.Buffer.End);
                if (result.IsCompleted)
                {
                    // The backend went away without a close frame.
                    LogBackendGone(_owner.Logger, Id);
                    FinishWebSocket(cancel: true);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session is over.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            LogBackendGone(_owner.Logger, Id);
            FinishWebSocket(cancel: true);
        }
    }

    /// <summary>Sends one frame's data as packets no larger than the requester's credits and the buffer size.</summary>
    private async Task ForwardWebSocketDataAsync(WebSocketReceived received, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var contentType = received.Opcode == WebSocketOpcode.Binary ? "binary" : "text";
        var more = !received.IsFinal;
        if (data.IsEmpty)
        {
            if (!more)
            {
                // An empty message, or the empty final fragment that ends one: still a packet.
                Send(new ZhttpPacket { ContentType = contentType });
            }
            return;
        }
        var offset = 0;
        while (offset < data.Length)
        {
            var credits = await WaitForCreditsAsync(ct).ConfigureAwait(false);
            var n = (int)Math.Min(Math.Min(credits, _owner.Options.BufferSize), data.Length - offset);
            SpendCredits(n);
            offset += n;
            Send(new ZhttpPacket { ContentType = contentType, Body = data.Slice(offset - n, n), More = more || offset < data.Length });
        }
    }

    /// <summary>Requester packets → backend frames; credits, keep-alives and cancel as in HTTP mode.</summary>
    private async Task PumpWebSocketInboxAsync(CancellationToken ct)
    {
        var output = new ArrayBufferWriter<byte>(_owner.Options.BufferSize + WebSocketFrameWriter.MaxHeaderSize);
        ArrayBufferWriter<byte>? pending = null;
        var messageStarted = false;
        var messageOpcode = WebSocketOpcode.Text;
        try
        {
            while (true)
            {
                if (await ReadInboxAsync(ct).ConfigureAwait(false) is not { } packet)
                {
                    return;
                }
                bool open, closeSent, closeReceived;
                lock (_lock)
                {
                    open = _wsOpen;
                    closeSent = _wsCloseSent;
                    closeReceived = _wsCloseReceived;
                }
                switch (packet.Type)
                {
                    case ZhttpPacketType.Ping:
                    case ZhttpPacketType.Pong:
                        if (open && !closeSent)
                        {
                            output.ResetWrittenCount();
                            _wsSender!.WriteControl(output, packet.Type == ZhttpPacketType.Ping ? WebSocketOpcode.Ping : WebSocketOpcode.Pong, packet.Body.Span);
                            await WriteToBackendAsync(output.WrittenMemory, ct).ConfigureAwait(false);
                        }
                        continue;
                    case ZhttpPacketType.Close:
                        if (!open)
                        {
                            // Given up before the handshake finished: nothing to close politely.
                            Abort();
                            return;
                        }
                        if (!closeSent)
                        {
                            lock (_lock)
                            {
                                _wsCloseSent = true;
                            }
                            await WriteCloseToBackendAsync(packet.Code >= 0 ? packet.Code : WebSocketCloseCodes.NoStatus, Encoding.UTF8.GetString(packet.Body.Span), ct, closeReceived).ConfigureAwait(false);
                        }
                        if (closeReceived)
                        {
                            FinishWebSocket(cancel: false);
                            return;
                        }
                        StartCloseTimer(ct);
                        continue;
                    case ZhttpPacketType.Data:
                        break;
                    default:
                        continue;
                }

                var body = packet.Body;
                bool overrun;
                lock (_lock)
                {
                    _wsWindow -= body.Length;
                    overrun = _wsWindow < 0;
                }
                if (overrun)
                {
                    LogOverrun(_owner.Logger, Id);
                    FinishWebSocket(cancel: true);
                    return;
                }
                if (!closeSent)
                {
                    output.ResetWrittenCount();
                    var opcode = packet.ContentType == "binary" ? WebSocketOpcode.Binary : WebSocketOpcode.Text;
                    if (!messageStarted)
                    {
                        messageOpcode = opcode;
                    }
                    if (_wsDeflate)
                    {
                        // Compression works on whole messages: collect the fragments, credit them as they arrive.
                        pending ??= new ArrayBufferWriter<byte>();
                        pending.Write(body.Span);
                        messageStarted = packet.More;
                        if (!packet.More)
                        {
                            _wsSender!.WriteMessage(output, messageOpcode, pending.WrittenSpan);
                            pending.ResetWrittenCount();
                        }
                    }
                    else if (!(body.IsEmpty && packet.More))
                    {
                        WebSocketFrameWriter.WriteFrame(output, messageStarted ? WebSocketOpcode.Continuation : opcode, !packet.More, false, body.Span, WebSocketMask.NewKey());
                        messageStarted = packet.More;
                    }
                    if (output.WrittenCount > 0)
                    {
                        await WriteToBackendAsync(output.WrittenMemory, ct).ConfigureAwait(false);
                    }
                }
                if (body.Length > 0)
                {
                    // Bytes reached the socket (or the compressor, or nowhere after our close): room again.
                    lock (_lock)
                    {
                        _wsWindow += body.Length;
                    }
                    Send(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = body.Length });
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session is over.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            LogBackendGone(_owner.Logger, Id);
            FinishWebSocket(cancel: true);
        }
    }

    private async Task WriteCloseToBackendAsync(int code, string? reason, CancellationToken ct, bool peerMayBeGone = false)
    {
        var output = new ArrayBufferWriter<byte>(WebSocketFrameWriter.MaxHeaderSize + 125);
        WebSocketFrameWriter.WriteClose(output, code, reason, WebSocketRole.Client);
        try
        {
            await WriteToBackendAsync(output.WrittenMemory, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (peerMayBeGone && ex is IOException or SocketException)
        {
            // The backend closed first and may have dropped the connection already.
        }
    }

    /// <summary>Writes to the backend; the two pumps may both write (frames, and a close on a bad frame).</summary>
    private async Task WriteToBackendAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await _writeLock!.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _stream!.WriteAsync(bytes, ct).ConfigureAwait(false);
            await _stream.FlushAsync(ct).ConfigureAwait(false);
            RefreshStreamTimeout();
        }
        finally
        {
            _writeLock!.Release();
        }
    }

    [LoggerMessage(EventId = 45, Level = LogLevel.Debug, Message = "client: session {SessionId} WebSocket open (deflate {Deflate})")]
    private static partial void LogWebSocketOpen(ILogger logger, string sessionId, bool deflate);

    [LoggerMessage(EventId = 46, Level = LogLevel.Information, Message = "client: session {SessionId} WebSocket handshake rejected with {Code}")]
    private static partial void LogWebSocketRejected(ILogger logger, string sessionId, int code);

    [LoggerMessage(EventId = 47, Level = LogLevel.Information, Message = "client: session {SessionId} bad WebSocket frame from the backend, closing with {Code}: {Reason}")]
    private static partial void LogBadFrame(ILogger logger, string sessionId, ushort code, string reason);

    [LoggerMessage(EventId = 48, Level = LogLevel.Debug, Message = "client: session {SessionId} WebSocket close was not answered in time")]
    private static partial void LogCloseTimeout(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 49, Level = LogLevel.Debug, Message = "client: session {SessionId} backend connection lost")]
    private static partial void LogBackendGone(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 50, Level = LogLevel.Warning, Message = "client: session {SessionId} requester sent more than its credits")]
    private static partial void LogOverrun(ILogger logger, string sessionId);
}
