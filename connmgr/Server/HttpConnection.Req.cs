using System.Buffers;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Http;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.Connmgr.Server;

internal sealed partial class HttpConnection
{
    /// <summary>
    /// A request on a <c>,req</c> listener (zhttp req mode, as upstream's): the whole body is read
    /// (up to <see cref="ServerOptions.BodyBufferSize"/>), goes out as one packet without seq,
    /// credits or <c>from</c>, and the one response packet is written with a Content-Length.
    /// Returns whether the connection can carry another request.
    /// </summary>
    private async Task<bool> HandleReqModeAsync(HttpRequestHead head, CancellationToken ct)
    {
        var options = _server.Options;
        if (WebSocketHandshake.IsUpgradeRequest(head.Headers))
        {
            return await RejectReqAsync(head, 400, "WebSockets not supported on req mode interface.").ConfigureAwait(false);
        }
        if (head.Framing == BodyFraming.ContentLength && head.ContentLength > options.BodyBufferSize)
        {
            return await RejectReqAsync(head, 413, "request body too large").ConfigureAwait(false);
        }
        var exchange = _server.OpenReqExchange(Id, _requestNumber);
        LogRequest(_logger, Id, exchange.Id, head.Method, head.Target);
        try
        {
            using var bodyStop = CancellationTokenSource.CreateLinkedTokenSource(ct, exchange.TimedOut);
            var limit = options.BodyBufferSize;
            var body = ArrayPool<byte>.Shared.Rent(head.Framing == BodyFraming.ContentLength ? (int)Math.Max(head.ContentLength, 1) : limit + 1);
            try
            {
                int length;
                try
                {
                    length = await ReadWholeBodyAsync(head, body, limit, bodyStop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (exchange.TimedOut.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    return await RejectReqAsync(head, 408, "request body not received in time").ConfigureAwait(false);
                }
                switch (length)
                {
                    case ReqBodyGone:
                        return false;
                    case ReqBodyTooLarge:
                        return await RejectReqAsync(head, 413, "request body too large").ConfigureAwait(false);
                    case ReqBodyBad:
                        return await RejectReqAsync(head, 400, "bad request body").ConfigureAwait(false);
                }
                _server.SendReq(new ZhttpPacket
                {
                    Id = exchange.Id,
                    Multi = true,
                    Method = head.Method,
                    Uri = BuildUri(head),
                    Headers = head.Headers,
                    Body = body.AsMemory(0, length),
                    PeerAddress = _peerAddress,
                    PeerPort = _remote?.Port ?? -1,
                });
            }
            finally
            {
                // The packet was encoded by SendReq: the buffer is free again.
                ArrayPool<byte>.Shared.Return(body);
            }
            var response = await exchange.Response.WaitAsync(ct).ConfigureAwait(false);
            if (ReferenceEquals(response, ReqExchange.Expired))
            {
                LogExpired(_logger, Id, exchange.Id);
                return await RejectReqAsync(head, 504, "responder timed out").ConfigureAwait(false);
            }
            if (response.Type != ZhttpPacketType.Data)
            {
                LogResponderAbort(_logger, Id, exchange.Id, response.Type, response.Condition);
                var local = response.From is null && response.Condition == "service-unavailable";
                return await RejectReqAsync(head, local ? 503 : 502, local ? "no responder available" : "responder aborted the request").ConfigureAwait(false);
            }
            if (response.Body.Length > options.BodyBufferSize)
            {
                LogReqResponseTooLarge(_logger, Id, exchange.Id, response.Body.Length);
                return await RejectReqAsync(head, 502, "response too large").ConfigureAwait(false);
            }
            // One packet is the whole response, whatever it says about more.
            response.More = false;
            var keepAlive = head.KeepAlive;
            var (framing, remaining) = WriteResponseHead(head, response, ref keepAlive);
            WriteBody(framing, response.Body.Span, ref remaining, ref keepAlive);
            await _output.FlushAsync(ct).ConfigureAwait(false);
            return keepAlive && remaining == 0;
        }
        finally
        {
            _server.CloseReqExchange(exchange);
        }
    }

    private const int ReqBodyGone = -1;
    private const int ReqBodyTooLarge = -2;
    private const int ReqBodyBad = -3;

    /// <summary>
    /// Reads the request's whole body into <paramref name="body"/> without reading past it
    /// (pipelined requests stay in the pipe). Returns its length, or one of the ReqBody codes.
    /// </summary>
    private async Task<int> ReadWholeBodyAsync(HttpRequestHead head, byte[] body, int limit, CancellationToken ct)
    {
        if (!head.HasBody)
        {
            return 0;
        }
        var chunked = head.Framing == BodyFraming.Chunked;
        if (chunked)
        {
            _chunked.Reset();
        }
        var remaining = chunked ? long.MaxValue : head.ContentLength;
        var n = 0;
        while (true)
        {
            var result = await _input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                // A stray wake-up (the sweep's, meant for a head read).
                _input.AdvanceTo(buffer.Start);
                continue;
            }
            if (!chunked)
            {
                var take = (int)Math.Min(remaining, buffer.Length);
                buffer.Slice(0, take).CopyTo(body.AsSpan(n));
                n += take;
                remaining -= take;
                _input.AdvanceTo(buffer.GetPosition(take));
                if (remaining == 0)
                {
                    return n;
                }
            }
            else
            {
                var rest = buffer;
                var status = ChunkedStatus.Data;
                while (status == ChunkedStatus.Data)
                {
                    // One byte beyond the limit tells "too large" from "exactly at the limit".
                    status = _chunked.Read(rest, limit + 1 - n, out var data, out var consumed, out var rejection);
                    rest = rest.Slice(consumed);
                    if (status == ChunkedStatus.Data)
                    {
                        data.CopyTo(body.AsSpan(n));
                        n += (int)data.Length;
                        if (n > limit)
                        {
                            _input.AdvanceTo(rest.Start, buffer.End);
                            return ReqBodyTooLarge;
                        }
                    }
                    else if (status == ChunkedStatus.Rejected)
                    {
                        _input.AdvanceTo(rest.Start, buffer.End);
                        LogBadBody(_logger, Id, RequestRejections.Describe(rejection));
                        return ReqBodyBad;
                    }
                }
                if (status == ChunkedStatus.Done)
                {
                    _input.AdvanceTo(rest.Start);
                    return n;
                }
                _input.AdvanceTo(rest.Start, buffer.End);
            }
            if (result.IsCompleted)
            {
                return ReqBodyGone;
            }
        }
    }

    /// <summary>An error response in req mode: logged, written with <c>Connection: close</c>.</summary>
    private async Task<bool> RejectReqAsync(HttpRequestHead head, int status, string reason)
    {
        LogRejected(_logger, Id, _peer, status, reason);
        await WriteErrorAndCloseAsync(status, reason, head.MinorVersion).ConfigureAwait(false);
        return false;
    }

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "conn {ConnectionId}: req {SessionId}: response body of {Length} bytes is over the body buffer size")]
    private static partial void LogReqResponseTooLarge(ILogger logger, long connectionId, string sessionId, int length);
}
