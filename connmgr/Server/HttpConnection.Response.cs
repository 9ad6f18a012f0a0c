using System.Globalization;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Http;

namespace Pushpin.Connmgr.Server;

internal sealed partial class HttpConnection
{
    private enum ResponseFraming
    {
        None,
        Length,
        Chunked,
        Close,
    }

    /// <summary>
    /// Reads the session's packets and writes the response. Returns whether the connection may
    /// carry another request.
    /// </summary>
    private async Task<bool> RespondAsync(ServerSession session, HttpRequestHead head, CancellationToken ct)
    {
        var started = false;
        var continueSent = false;
        var framing = ResponseFraming.None;
        long remaining = 0;
        var keepAlive = head.KeepAlive;
        long window = BufferSize;
        long written = 0;
        var dirty = false;
        var yielded = false;
        while (true)
        {
            // A burst (data packets already queued, e.g. a fan-out) is written with one flush and
            // answered with one credit packet, instead of a syscall and a packet per message.
            if (dirty && !(session.Inbox.TryPeek(out var next) && next.Type == ZhttpPacketType.Data))
            {
                if (!yielded)
                {
                    // Let the other connections woken by the same burst run first: by the time
                    // this one is back, more of the burst has usually arrived for it too.
                    yielded = true;
                    await Task.Yield();
                    continue;
                }
                yielded = false;
                dirty = false;
                var flush = await _output.FlushAsync(ct).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    session.End(cancel: true, Environment.TickCount64);
                    return false;
                }
                if (written > 0)
                {
                    // Bytes reached the socket: give the responder that much room again.
                    window += written;
                    session.GrantCredits((int)written, _server.Credits);
                    written = 0;
                }
            }
            var (packet, seq) = await session.Inbox.ReadAsync(ct).ConfigureAwait(false);
            var now = Environment.TickCount64;
            if (ReferenceEquals(packet, ServerSession.ClientGone))
            {
                LogClientGone(_logger, Id, session.Id);
                session.End(cancel: true, now);
                return false;
            }
            if (ReferenceEquals(packet, ServerSession.Expired))
            {
                LogExpired(_logger, Id, session.Id);
                session.End(cancel: true, now);
                return Fail(started, 504, "responder timed out");
            }
            if (ReferenceEquals(packet, ServerSession.BadBody))
            {
                session.End(cancel: true, now);
                return Fail(started, 400, "bad request body");
            }
            if (packet.Type is ZhttpPacketType.Error or ZhttpPacketType.Cancel)
            {
                // Honoured before the seq check, as upstream.
                session.End(cancel: false, now);
                LogResponderAbort(_logger, Id, session.Id, packet.Type, packet.Condition);
                var local = packet.From is null && packet.Condition == "service-unavailable";
                return Fail(started, local ? 503 : 502, local ? "no responder available" : "responder aborted the request");
            }
            if (seq >= 0)
            {
                if (seq != session.InSeq)
                {
                    LogBadSeq(_logger, Id, session.Id, session.InSeq, seq);
                    session.End(cancel: true, now);
                    return Fail(started, 502, "responder protocol error");
                }
                session.InSeq++;
            }
            session.SetTarget(packet.From);
            session.PeerMulti |= packet.Multi;
            if (packet.Credits > 0)
            {
                session.AddCredits(packet.Credits);
                if (head.ExpectContinue && !continueSent && !started && !_bodyDone)
                {
                    // The responder wants the body: now the client may send it.
                    continueSent = true;
                    WriteRaw("HTTP/1.1 100 Continue\r\n\r\n"u8);
                    await _output.FlushAsync(ct).ConfigureAwait(false);
                }
            }
            switch (packet.Type)
            {
                case ZhttpPacketType.HandoffStart:
                    session.ProceedWithHandoff(now);
                    continue;
                case ZhttpPacketType.Data:
                    break;
                default:
                    // keep-alive, credit, handoff-proceed; WebSocket types mean nothing here.
                    continue;
            }

            var body = packet.Body;
            window -= body.Length;
            if (window < 0)
            {
                LogOverrun(_logger, Id, session.Id);
                session.End(cancel: true, now);
                return Fail(started, 502, "responder sent too much");
            }
            if (!started)
            {
                started = true;
                (framing, remaining) = WriteResponseHead(head, packet, ref keepAlive);
            }
            WriteBody(framing, body.Span, ref remaining, ref keepAlive);
            if (!packet.More)
            {
                if (framing == ResponseFraming.Chunked)
                {
                    HttpResponseWriter.WriteLastChunk(_output);
                }
                else if (framing == ResponseFraming.Length && remaining > 0)
                {
                    // Shorter than announced: only closing tells the client.
                    keepAlive = false;
                }
                await _output.FlushAsync(ct).ConfigureAwait(false);
                session.End(cancel: false, now);
                return keepAlive && framing != ResponseFraming.Close;
            }
            written += body.Length;
            dirty = true;
        }
    }

    /// <summary>
    /// An error before the response started becomes a response (written once the input pump has
    /// stopped, since writing it drains the input); after, the connection just closes.
    /// </summary>
    private bool Fail(bool started, int status, string reason)
    {
        if (!started)
        {
            _pendingError = (status, reason);
        }
        return false;
    }

    private (ResponseFraming Framing, long Length) WriteResponseHead(HttpRequestHead head, ZhttpPacket packet, ref bool keepAlive)
    {
        var code = packet.Code >= 0 ? packet.Code : 200;
        var reason = string.IsNullOrEmpty(packet.Reason) ? RequestRejections.ReasonPhrase(code) : packet.Reason;
        var noBody = head.IsHead || code is (>= 100 and < 200) or 204 or 304;
        long contentLength = -1;
        var headers = new List<HeaderField>((packet.Headers?.Count ?? 0) + 2);
        if (packet.Headers is not null)
        {
            foreach (var h in packet.Headers)
            {
                // Hop-by-hop framing is ours to decide.
                if (h.Is("Connection") || h.Is("Keep-Alive") || h.Is("Transfer-Encoding"))
                {
                    continue;
                }
                if (h.Is("Content-Length"))
                {
                    // Keep the first valid one; a second or unparsable one would make the framing ambiguous.
                    if (contentLength >= 0 || !long.TryParse(h.Value.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                    {
                        continue;
                    }
                    contentLength = parsed;
                }
                headers.Add(new HeaderField(h.Name, h.Value));
            }
        }

        ResponseFraming framing;
        if (noBody)
        {
            framing = ResponseFraming.None;
            if (head.IsHead && contentLength < 0 && !packet.More && code is >= 200 and not 204 and not 304)
            {
                // As upstream: the length a GET would have had, without the body (RFC 9110 §9.3.2).
                headers.Add(new HeaderField("Content-Length", packet.Body.Length.ToString(CultureInfo.InvariantCulture)));
            }
        }
        else if (contentLength >= 0)
        {
            framing = ResponseFraming.Length;
        }
        else if (!packet.More)
        {
            framing = ResponseFraming.Length;
            contentLength = packet.Body.Length;
            headers.Add(new HeaderField("Content-Length", contentLength.ToString(CultureInfo.InvariantCulture)));
        }
        else if (head.MinorVersion == 1)
        {
            framing = ResponseFraming.Chunked;
            headers.Add(new HeaderField("Transfer-Encoding", "chunked"));
        }
        else
        {
            framing = ResponseFraming.Close;
            keepAlive = false;
        }

        if (!keepAlive && head.MinorVersion == 1)
        {
            headers.Add(new HeaderField("Connection", "close"));
        }
        else if (keepAlive && head.MinorVersion == 0)
        {
            headers.Add(new HeaderField("Connection", "keep-alive"));
        }
        // The request's version, as condure: an HTTP/1.0 client gets an HTTP/1.0 status line.
        HttpResponseWriter.WriteHead(_output, head.MinorVersion, code, reason, headers);
        return (framing, Math.Max(contentLength, 0));
    }

    private void WriteBody(ResponseFraming framing, ReadOnlySpan<byte> body, ref long remaining, ref bool keepAlive)
    {
        if (body.IsEmpty)
        {
            return;
        }
        switch (framing)
        {
            case ResponseFraming.Length:
                if (body.Length > remaining)
                {
                    // More than announced: drop the excess and close so the client cannot misframe.
                    body = body[..(int)remaining];
                    keepAlive = false;
                }
                remaining -= body.Length;
                WriteRaw(body);
                break;
            case ResponseFraming.Chunked:
                HttpResponseWriter.WriteChunk(_output, body);
                break;
            case ResponseFraming.Close:
                WriteRaw(body);
                break;
        }
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        var span = _output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        _output.Advance(bytes.Length);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "conn {ConnectionId}: client went away, cancelled session {SessionId}")]
    private static partial void LogClientGone(ILogger logger, long connectionId, string sessionId);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "conn {ConnectionId}: session {SessionId} timed out")]
    private static partial void LogExpired(ILogger logger, long connectionId, string sessionId);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "conn {ConnectionId}: session {SessionId} ended by responder: {Type} {Condition}")]
    private static partial void LogResponderAbort(ILogger logger, long connectionId, string sessionId, ZhttpPacketType type, string? condition);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "conn {ConnectionId}: session {SessionId} expected seq {Expected}, got {Actual}")]
    private static partial void LogBadSeq(ILogger logger, long connectionId, string sessionId, int expected, int actual);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "conn {ConnectionId}: session {SessionId}: responder sent more than its credits")]
    private static partial void LogOverrun(ILogger logger, long connectionId, string sessionId);
}
