using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Http;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.Connmgr.Server;

/// <summary>
/// WebSocket over zhttp (internals.md §3.10): the upgrade request becomes a session with a
/// <c>ws://</c> uri; the responder accepts (code 101) or rejects (error <c>rejected</c>); then
/// frames and packets are translated both ways until both sides have closed.
/// </summary>
internal sealed partial class HttpConnection
{
    /// <summary>Largest frame payload a client may send: a frame is parsed whole from the input pipe.</summary>
    internal const int MaxWebSocketFrame = 1 << 20;

    /// <summary>Largest message (after inflation); fragments stream through, so this only stops runaway messages.</summary>
    private const long MaxWebSocketMessage = 64L << 20;

    // Markers the input pump posts to the session inbox, so only the output loop writes to the socket.
    private static readonly object ClientClosedMarker = new();
    private static readonly object ClientErrorMarker = new();

    private static bool MayBeWebSocket(HttpRequestHead head)
    {
        foreach (var h in head.Headers)
        {
            if (h.Name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Runs an upgrade request. Always ends the connection (returns false).</summary>
    private async Task<bool> HandleWebSocketAsync(HttpRequestHead head, CancellationToken ct)
    {
        var headers = head.Headers;
        var check = WebSocketHandshake.Validate(head.Method, head.MinorVersion == 1 ? "1.1" : "1.0", headers);
        if (!check.IsValid)
        {
            LogWebSocketRefused(_logger, Id, _peer, check.Status, check.Detail);
            await WriteResponseAndCloseAsync(head.MinorVersion, check.Status, check.Reason, check.Headers, Encoding.UTF8.GetBytes(check.Message)).ConfigureAwait(false);
            return false;
        }
        PerMessageDeflateParameters? deflate = null;
        if (_server.Options.Compression)
        {
            deflate = PerMessageDeflateNegotiator.Negotiate(headers.Where(h => h.Is("Sec-WebSocket-Extensions")).Select(h => h.Value));
        }
        // Extensions are connmgr's business: a responder must not negotiate what we would not frame.
        headers.RemoveAll(h => h.Is("Sec-WebSocket-Extensions"));

        var session = _server.OpenSession(Id, _requestNumber);
        LogRequest(_logger, Id, session.Id, head.Method, head.Target);
        try
        {
            session.SendInitial(
                new ZhttpPacket
                {
                    Method = head.Method,
                    Uri = WebSocketUri(BuildUri(head)),
                    Headers = headers,
                    RouterResp = true,
                    Credits = BufferSize,
                    PeerAddress = _peerAddress,
                    PeerPort = _remote?.Port ?? -1,
                },
                Environment.TickCount64);
            if (!await AwaitWebSocketAnswerAsync(session, head, check.Accept, deflate, ct).ConfigureAwait(false))
            {
                return false;
            }
            LogWebSocketOpen(_logger, Id, session.Id, deflate is not null);
            using var receiver = new WebSocketReceiver(WebSocketRole.Server, deflate, MaxWebSocketMessage, MaxWebSocketFrame);
            using var sender = new WebSocketSender(WebSocketRole.Server, deflate);
            using var inputStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var inputTask = PumpWebSocketInputAsync(session, receiver, inputStop.Token);
            try
            {
                await PumpWebSocketOutputAsync(session, sender, deflate is not null, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                session.End(cancel: true, Environment.TickCount64);
            }
            finally
            {
                await inputStop.CancelAsync().ConfigureAwait(false);
                WakeReader();
                await inputTask.ConfigureAwait(false);
            }
            return false;
        }
        finally
        {
            session.End(cancel: false, Environment.TickCount64);
            _server.CloseSession(session);
        }
    }

    private static string WebSocketUri(string httpUri)
    {
        if (httpUri.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return string.Concat("ws://", httpUri.AsSpan(7));
        }
        if (httpUri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return string.Concat("wss://", httpUri.AsSpan(8));
        }
        return httpUri;
    }

    /// <summary>Waits for the responder's verdict; writes the 101 (true) or the HTTP response that replaces it (false).</summary>
    private async Task<bool> AwaitWebSocketAnswerAsync(ServerSession session, HttpRequestHead head, string accept, PerMessageDeflateParameters? deflate, CancellationToken ct)
    {
        while (true)
        {
            var (packet, seq) = await session.Inbox.ReadAsync(ct).ConfigureAwait(false);
            var now = Environment.TickCount64;
            if (ReferenceEquals(packet, ServerSession.ClientGone))
            {
                session.End(cancel: true, now);
                return false;
            }
            if (ReferenceEquals(packet, ServerSession.Expired))
            {
                LogExpired(_logger, Id, session.Id);
                session.End(cancel: true, now);
                await WriteErrorAndCloseAsync(504, "responder timed out").ConfigureAwait(false);
                return false;
            }
            if (packet.Type is ZhttpPacketType.Error or ZhttpPacketType.Cancel)
            {
                session.End(cancel: false, now);
                LogResponderAbort(_logger, Id, session.Id, packet.Type, packet.Condition);
                if (packet.Type == ZhttpPacketType.Error && packet.Condition == "rejected")
                {
                    var code = packet.Code >= 100 ? packet.Code : 403;
                    var reason = string.IsNullOrEmpty(packet.Reason) ? RequestRejections.ReasonPhrase(code) : packet.Reason;
                    await WriteResponseAndCloseAsync(head.MinorVersion, code, reason, packet.Headers ?? [], packet.Body).ConfigureAwait(false);
                    return false;
                }
                var local = packet.From is null && packet.Condition == "service-unavailable";
                await WriteErrorAndCloseAsync(local ? 503 : 502, local ? "no responder available" : "responder aborted the request").ConfigureAwait(false);
                return false;
            }
            if (seq >= 0)
            {
                if (seq != session.InSeq)
                {
                    LogBadSeq(_logger, Id, session.Id, session.InSeq, seq);
                    session.End(cancel: true, now);
                    await WriteErrorAndCloseAsync(502, "responder protocol error").ConfigureAwait(false);
                    return false;
                }
                session.InSeq++;
            }
            session.SetTarget(packet.From);
            session.PeerMulti |= packet.Multi;
            session.AddCredits(packet.Credits);
            if (packet.Type == ZhttpPacketType.HandoffStart)
            {
                session.ProceedWithHandoff(now);
                continue;
            }
            if (packet.Type != ZhttpPacketType.Data)
            {
                continue;
            }
            if (packet.Code != 101)
            {
                // An ordinary response instead of an upgrade: pass it on and stop there.
                session.End(cancel: packet.More, now);
                var code = packet.Code >= 100 ? packet.Code : 200;
                var reason = string.IsNullOrEmpty(packet.Reason) ? RequestRejections.ReasonPhrase(code) : packet.Reason;
                await WriteResponseAndCloseAsync(head.MinorVersion, code, reason, packet.Headers ?? [], packet.More ? ReadOnlyMemory<byte>.Empty : packet.Body).ConfigureAwait(false);
                return false;
            }

            var headers = new List<HeaderField>((packet.Headers?.Count ?? 0) + 4)
            {
                new("Upgrade", "websocket"),
                new("Connection", "Upgrade"),
                new("Sec-WebSocket-Accept", accept),
            };
            if (deflate is not null)
            {
                headers.Add(new HeaderField("Sec-WebSocket-Extensions", deflate.ToResponseHeader()));
            }
            if (packet.Headers is not null)
            {
                foreach (var h in packet.Headers)
                {
                    // The handshake and the framing are ours; the rest (e.g. Sec-WebSocket-Protocol) is the responder's.
                    if (h.Is("Upgrade") || h.Is("Connection") || h.Is("Sec-WebSocket-Accept") || h.Is("Sec-WebSocket-Extensions")
                        || h.Is("Content-Length") || h.Is("Transfer-Encoding") || h.Is("Keep-Alive"))
                    {
                        continue;
                    }
                    headers.Add(new HeaderField(h.Name, h.Value));
                }
            }
            var reason101 = string.IsNullOrEmpty(packet.Reason) ? "Switching Protocols" : packet.Reason;
            HttpResponseWriter.WriteHead(_output, 1, 101, reason101, headers);
            var flush = await _output.FlushAsync(ct).ConfigureAwait(false);
            if (flush.IsCompleted)
            {
                session.End(cancel: true, now);
                return false;
            }
            return true;
        }
    }

    /// <summary>Client frames → zhttp packets: data under credits, ping/pong/close uncounted.</summary>
    private async Task PumpWebSocketInputAsync(ServerSession session, WebSocketReceiver receiver, CancellationToken ct)
    {
        var payload = new ArrayBufferWriter<byte>(BufferSize);
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (ct.IsCancellationRequested)
                {
                    _input.AdvanceTo(buffer.Start);
                    return;
                }
                if (result.IsCanceled)
                {
                    // A stray wake-up: only ct stops the pump.
                    _input.AdvanceTo(buffer.Start);
                    continue;
                }
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
                        _input.AdvanceTo(result.Buffer.End);
                        LogBadFrame(_logger, Id, session.Id, error.CloseCode, error.Reason);
                        session.Inbox.TryWrite(new ZhttpPacket { Type = ZhttpPacketType.Close, Code = error.CloseCode, Reason = error.Reason, UserData = ClientErrorMarker });
                        return;
                    }
                    buffer = buffer.Slice(consumed);
                    var now = Environment.TickCount64;
                    switch (received.Opcode)
                    {
                        case WebSocketOpcode.Text:
                        case WebSocketOpcode.Binary:
                            if (!await ForwardWebSocketDataAsync(session, received, payload.WrittenMemory, ct).ConfigureAwait(false))
                            {
                                _input.AdvanceTo(buffer.Start);
                                return;
                            }
                            break;
                        case WebSocketOpcode.Ping:
                        case WebSocketOpcode.Pong:
                            session.SendUncounted(
                                new ZhttpPacket
                                {
                                    Type = received.Opcode == WebSocketOpcode.Ping ? ZhttpPacketType.Ping : ZhttpPacketType.Pong,
                                    Body = received.ControlPayload.ToArray(),
                                },
                                now);
                            break;
                        case WebSocketOpcode.Close:
                            session.SendUncounted(
                                new ZhttpPacket
                                {
                                    Type = ZhttpPacketType.Close,
                                    Code = received.CloseCode == WebSocketCloseCodes.NoStatus ? -1 : received.CloseCode,
                                    Body = received.ControlPayload.ToArray(),
                                },
                                now);
                            _input.AdvanceTo(buffer.Start);
                            session.Inbox.TryWrite(new ZhttpPacket { Type = ZhttpPacketType.Close, UserData = ClientClosedMarker });
                            return;
                    }
                }
                _input.AdvanceTo(buffer.Start, result.Buffer.End);
                if (result.IsCompleted)
                {
                    session.Inbox.TryWrite(ServerSession.ClientGone);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session is over.
        }
        catch (InvalidOperationException)
        {
            // The pipe was completed under us (connection torn down).
        }
    }

    /// <summary>Sends one frame's data as packets of at most the window and the buffer size. False when the session ended.</summary>
    private async Task<bool> ForwardWebSocketDataAsync(ServerSession session, WebSocketReceived received, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var contentType = received.Opcode == WebSocketOpcode.Text ? "text" : "binary";
        var more = !received.IsFinal;
        if (data.IsEmpty && more)
        {
            // Nothing to carry (as upstream, empty non-final fragments are skipped).
            return true;
        }
        var offset = 0;
        do
        {
            var window = await session.WaitForWindowAsync(ct).ConfigureAwait(false);
            if (window <= 0)
            {
                return false;
            }
            var n = (int)Math.Min(Math.Min(window, BufferSize), data.Length - offset);
            var last = offset + n == data.Length;
            var packet = new ZhttpPacket { ContentType = contentType, Body = data.Slice(offset, n), More = more || !last };
            if (session.SendBody(packet, Environment.TickCount64))
            {
                offset += n;
                if (last)
                {
                    return true;
                }
            }
        }
        while (true);
    }

    /// <summary>zhttp packets → frames to the client; returns when the session is over.</summary>
    private async Task PumpWebSocketOutputAsync(ServerSession session, WebSocketSender sender, bool compressing, CancellationToken ct)
    {
        long window = BufferSize;
        var messageStarted = false;
        var messageOpcode = WebSocketOpcode.Text;
        var pending = compressing ? new ArrayBufferWriter<byte>() : null;
        var closeSent = false;
        var closeReceived = false;
        CancellationTokenSource? closing = null;
        var readToken = ct;
        try
        {
            while (true)
            {
                if (closing is null && (closeSent || closeReceived))
                {
                    // One side said goodbye: the other gets a bounded time to answer (keep-alives must not hold it open).
                    closing = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    closing.CancelAfter(_server.Options.WebSocketCloseTimeout);
                    readToken = closing.Token;
                }
                ZhttpPacket packet;
                int seq;
                try
                {
                    (packet, seq) = await session.Inbox.ReadAsync(readToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    LogCloseTimeout(_logger, Id, session.Id);
                    session.End(cancel: true, Environment.TickCount64);
                    return;
                }
                var now = Environment.TickCount64;
                if (ReferenceEquals(packet, ServerSession.ClientGone))
                {
                    LogClientGone(_logger, Id, session.Id);
                    session.End(cancel: true, now);
                    return;
                }
                if (ReferenceEquals(packet, ServerSession.Expired))
                {
                    LogExpired(_logger, Id, session.Id);
                    session.End(cancel: true, now);
                    return;
                }
                if (ReferenceEquals(packet.UserData, ClientClosedMarker))
                {
                    closeReceived = true;
                    if (closeSent)
                    {
                        session.End(cancel: false, now);
                        return;
                    }
                    continue;
                }
                if (ReferenceEquals(packet.UserData, ClientErrorMarker))
                {
                    if (!closeSent)
                    {
                        sender.WriteClose(_output, packet.Code, packet.Reason);
                        await _output.FlushAsync(ct).ConfigureAwait(false);
                    }
                    session.End(cancel: true, now);
                    return;
                }
                if (packet.Type is ZhttpPacketType.Error or ZhttpPacketType.Cancel)
                {
                    session.End(cancel: false, now);
                    LogResponderAbort(_logger, Id, session.Id, packet.Type, packet.Condition);
                    return;
                }
                if (seq >= 0)
                {
                    if (seq != session.InSeq)
                    {
                        LogBadSeq(_logger, Id, session.Id, session.InSeq, seq);
                        session.End(cancel: true, now);
                        return;
                    }
                    session.InSeq++;
                }
                session.SetTarget(packet.From);
                session.PeerMulti |= packet.Multi;
                session.AddCredits(packet.Credits);
                switch (packet.Type)
                {
                    case ZhttpPacketType.HandoffStart:
                        session.ProceedWithHandoff(now);
                        continue;
                    case ZhttpPacketType.Ping:
                    case ZhttpPacketType.Pong:
                        if (!closeSent)
                        {
                            sender.WriteControl(_output, packet.Type == ZhttpPacketType.Ping ? WebSocketOpcode.Ping : WebSocketOpcode.Pong, packet.Body.Span);
                            await _output.FlushAsync(ct).ConfigureAwait(false);
                        }
                        continue;
                    case ZhttpPacketType.Close:
                        if (!closeSent)
                        {
                            closeSent = true;
                            // No code from the responder: a close frame without a status (1005 is never sent as a code).
                            sender.WriteClose(_output, packet.Code >= 0 ? packet.Code : WebSocketCloseCodes.NoStatus, Encoding.UTF8.GetString(packet.Body.Span));
                            await _output.FlushAsync(ct).ConfigureAwait(false);
                        }
                        if (closeReceived)
                        {
                            session.End(cancel: false, now);
                            return;
                        }
                        continue;
                    case ZhttpPacketType.Data:
                        break;
                    default:
                        continue;
                }

                var body = packet.Body;
                window -= body.Length;
                if (window < 0)
                {
                    LogOverrun(_logger, Id, session.Id);
                    session.End(cancel: true, now);
                    return;
                }
                if (closeSent)
                {
                    // Nothing may follow a close frame; just keep the credits flowing.
                    window += body.Length;
                    continue;
                }
                var opcode = packet.ContentType == "binary" ? WebSocketOpcode.Binary : WebSocketOpcode.Text;
                if (pending is not null)
                {
                    // Compression works on whole messages: collect the fragments, credit them as they arrive.
                    if (!messageStarted)
                    {
                        messageOpcode = opcode;
                        messageStarted = true;
                    }
                    pending.Write(body.Span);
                    if (!packet.More)
                    {
                        sender.WriteMessage(_output, messageOpcode, pending.WrittenSpan);
                        pending.ResetWrittenCount();
                        messageStarted = false;
                    }
                }
                else if (!(body.IsEmpty && packet.More))
                {
                    WebSocketFrameWriter.WriteFrame(_output, messageStarted ? WebSocketOpcode.Continuation : opcode, !packet.More, false, body.Span, null);
                    messageStarted = packet.More;
                }
                var flush = await _output.FlushAsync(ct).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    session.End(cancel: true, Environment.TickCount64);
                    return;
                }
                if (body.Length > 0)
                {
                    // Bytes reached the socket (or the compressor): give the responder that much room again.
                    window += body.Length;
                    session.GrantCredits(body.Length, _server.Credits);
                }
            }
        }
        finally
        {
            closing?.Dispose();
        }
    }

    /// <summary>A complete response with a known body, then a gentle close (handshake refusals and rejections).</summary>
    private async Task WriteResponseAndCloseAsync(int minorVersion, int code, string reason, IEnumerable<HttpHeader> headers, ReadOnlyMemory<byte> body)
    {
        try
        {
            var fields = new List<HeaderField>();
            foreach (var h in headers)
            {
                if (h.Is("Connection") || h.Is("Keep-Alive") || h.Is("Transfer-Encoding") || h.Is("Content-Length"))
                {
                    continue;
                }
                fields.Add(new HeaderField(h.Name, h.Value));
            }
            fields.Add(new HeaderField("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)));
            fields.Add(new HeaderField("Connection", "close"));
            HttpResponseWriter.WriteHead(_output, minorVersion, code, reason, fields);
            WriteRaw(body.Span);
            await _output.FlushAsync().ConfigureAwait(false);
            await ShutdownSendAsync().ConfigureAwait(false);
            await DrainAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The client is gone already.
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "conn {ConnectionId} {Remote}: refused WebSocket handshake with {Status}: {Detail}")]
    private static partial void LogWebSocketRefused(ILogger logger, long connectionId, string remote, int status, string detail);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "conn {ConnectionId}: session {SessionId} WebSocket open (deflate {Deflate})")]
    private static partial void LogWebSocketOpen(ILogger logger, long connectionId, string sessionId, bool deflate);

    [LoggerMessage(EventId = 33, Level = LogLevel.Debug, Message = "conn {ConnectionId}: session {SessionId} WebSocket close was not answered in time")]
    private static partial void LogCloseTimeout(ILogger logger, long connectionId, string sessionId);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "conn {ConnectionId}: session {SessionId} bad WebSocket frame, closing with {Code}: {Reason}")]
    private static partial void LogBadFrame(ILogger logger, long connectionId, string sessionId, ushort code, string reason);
}
