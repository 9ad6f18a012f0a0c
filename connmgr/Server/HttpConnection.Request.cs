using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Http;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.Connmgr.Server;

internal sealed partial class HttpConnection
{
    /// <summary>Runs one request as a zhttp session. Returns whether the connection can carry another.</summary>
    private async Task<bool> HandleRequestAsync(HttpRequestHead head, CancellationToken ct)
    {
        _requestNumber++;
        if (_listener.Req)
        {
            return await HandleReqModeAsync(head, ct).ConfigureAwait(false);
        }
        if (MayBeWebSocket(head) && WebSocketHandshake.IsUpgradeRequest(head.Headers))
        {
            return await HandleWebSocketAsync(head, ct).ConfigureAwait(false);
        }
        _bodyDone = !head.HasBody;
        if (head.Framing == BodyFraming.Chunked)
        {
            _chunked.Reset();
        }
        var session = _server.OpenSession(Id, _requestNumber);
        LogRequest(_logger, Id, session.Id, head.Method, head.Target);
        try
        {
            session.SendInitial(BuildInitialPacket(head), Environment.TickCount64);
            // The packet owns the header list now; a held response should not keep it alive.
            head.Headers = [];
            using var inputStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var inputTask = PumpInputAsync(session, head, inputStop.Token);
            bool keepAlive;
            try
            {
                keepAlive = await RespondAsync(session, head, ct).ConfigureAwait(false);
            }
            finally
            {
                await inputStop.CancelAsync().ConfigureAwait(false);
                _input.CancelPendingRead();
                await inputTask.ConfigureAwait(false);
            }
            if (_pendingError is var (status, reason))
            {
                _pendingError = null;
                session.End(cancel: !_bodyDone, Environment.TickCount64);
                await WriteErrorAndCloseAsync(status, reason, head.MinorVersion).ConfigureAwait(false);
                return false;
            }
            if (!_bodyDone)
            {
                // The response ended before the request body did: the rest of the body would be
                // read as the next request, so this connection is done.
                session.End(cancel: true, Environment.TickCount64);
                return false;
            }
            return keepAlive;
        }
        finally
        {
            session.End(cancel: false, Environment.TickCount64);
            _server.CloseSession(session);
        }
    }

    private ZhttpPacket BuildInitialPacket(HttpRequestHead head)
    {
        return new ZhttpPacket
        {
            Method = head.Method,
            Uri = BuildUri(head),
            // The head is done with them: the packet takes the parser's list (no copy).
            Headers = head.Headers,
            Stream = true,
            RouterResp = true,
            Credits = BufferSize,
            PeerAddress = _peerAddress,
            PeerPort = _remote?.Port ?? -1,
            More = head.HasBody,
        };
    }

    private string BuildUri(HttpRequestHead head)
    {
        if (head.Target[0] != '/' && head.Target != "*")
        {
            // Absolute form: the client named the URI itself.
            return head.Target;
        }
        var host = string.IsNullOrEmpty(head.Host) ? FormatLocalAuthority() : head.Host;
        var path = head.Target == "*" ? "/" : head.Target;
        return string.Concat(Secure ? "https://" : "http://", host, path);
    }

    private string FormatLocalAuthority() =>
        _local is null ? "localhost"
        : _local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{_local.Address}]:{_local.Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{_local.Address}:{_local.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Sends the request body under the responder's credits, then watches the input for the
    /// client going away. Never reads past the current request's body.
    /// </summary>
    private async Task PumpInputAsync(ServerSession session, HttpRequestHead head, CancellationToken ct)
    {
        try
        {
            if (head.HasBody && !await PumpBodyAsync(session, head, ct).ConfigureAwait(false))
            {
                return;
            }
            _bodyDone = true;
            while (!ct.IsCancellationRequested)
            {
                var result = await _input.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                if (ct.IsCancellationRequested)
                {
                    _input.AdvanceTo(result.Buffer.Start);
                    return;
                }
                if (result.IsCanceled)
                {
                    // A stray wake-up (the sweep's, meant for a head read): only ct stops the pump.
                    _input.AdvanceTo(result.Buffer.Start);
                    continue;
                }
                // Never take: pipelined requests stay for the next turn. Once one is arriving
                // there is nothing more to watch (examining it would hide it from the next read).
                _input.AdvanceTo(result.Buffer.Start);
                if (!result.Buffer.IsEmpty)
                {
                    return;
                }
                if (result.IsCompleted)
                {
                    session.Inbox.TryWrite(ServerSession.ClientGone);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The response is over.
        }
        catch (InvalidOperationException)
        {
            // The pipe was completed under us (connection torn down).
        }
    }

    /// <summary>Returns true when the whole body was sent.</summary>
    private async Task<bool> PumpBodyAsync(ServerSession session, HttpRequestHead head, CancellationToken ct)
    {
        var remaining = head.Framing == BodyFraming.ContentLength ? head.ContentLength : long.MaxValue;
        var chunk = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var window = await session.WaitForWindowAsync(ct).ConfigureAwait(false);
                if (window <= 0)
                {
                    return false;
                }
                var result = await _input.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (ct.IsCancellationRequested)
                {
                    _input.AdvanceTo(buffer.Start);
                    return false;
                }
                if (result.IsCanceled)
                {
                    // A stray wake-up (the sweep's, meant for a head read): only ct stops the pump.
                    _input.AdvanceTo(buffer.Start);
                    continue;
                }
                var limit = (int)Math.Min(window, BufferSize);
                var n = 0;
                var done = false;
                var needMore = false;
                SequencePosition consumed;
                if (head.Framing == BodyFraming.ContentLength)
                {
                    var take = (int)Math.Min(Math.Min(remaining, buffer.Length), limit);
                    buffer.Slice(0, take).CopyTo(chunk);
                    n = take;
                    remaining -= take;
                    done = remaining == 0;
                    consumed = buffer.GetPosition(take);
                    needMore = take == buffer.Length && !done;
                }
                else
                {
                    var rest = buffer;
                    while (true)
                    {
                        var status = _chunked.Read(rest, limit - n, out var data, out var c, out var rejection);
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
                        if (status == ChunkedStatus.Done)
                        {
                            done = true;
                        }
                        else if (status == ChunkedStatus.NeedMoreData)
                        {
                            needMore = true;
                        }
                        else
                        {
                            _input.AdvanceTo(rest.Start, buffer.End);
                            LogBadBody(_logger, Id, RequestRejections.Describe(rejection));
                            session.Inbox.TryWrite(ServerSession.BadBody);
                            return false;
                        }
                        break;
                    }
                    consumed = rest.Start;
                }
                _input.AdvanceTo(consumed, needMore ? buffer.End : consumed);
                if (n > 0 || done)
                {
                    var packet = new ZhttpPacket { Body = chunk.AsMemory(0, n), More = !done };
                    while (!session.SendBody(packet, Environment.TickCount64))
                    {
                        // Handoff in progress (no responder address): wait for the new one.
                        if (await session.WaitForWindowAsync(ct).ConfigureAwait(false) <= 0)
                        {
                            return false;
                        }
                    }
                }
                if (done)
                {
                    return true;
                }
                if (needMore && result.IsCompleted)
                {
                    session.Inbox.TryWrite(ServerSession.ClientGone);
                    return false;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "conn {ConnectionId}: session {SessionId} {Method} {Target}")]
    private static partial void LogRequest(ILogger logger, long connectionId, string sessionId, string method, string target);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "conn {ConnectionId}: bad request body: {Reason}")]
    private static partial void LogBadBody(ILogger logger, long connectionId, string reason);
}
