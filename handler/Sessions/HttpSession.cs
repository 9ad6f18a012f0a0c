using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Http;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Filters;
using Pushpin.Handler.Http;
using Pushpin.Handler.Instruct;
using Pushpin.Handler.Metrics;
using Pushpin.Handler.Publishing;

namespace Pushpin.Handler.Sessions;

/// <summary>
/// One held HTTP request (response or stream hold) after the proxy handed it over: continues
/// the zhttp session toward connmgr (seq, credits, keep-alives) and turns published items into
/// response data. Only the engine thread touches it.
/// </summary>
internal sealed partial class HttpSession
{
    /// <summary>Published items waiting for credits, per session (upstream's PUBLISH_QUEUE_MAX).</summary>
    public const int PublishQueueMax = 100;

    private readonly SessionContext _ctx;
    private GripInstruct _instruct;
    private readonly Queue<PublishItem> _queue = new();
    private byte[]? _pending;
    private int _pendingStart;
    private int _pendingLength;
    private bool _closing;
    private long _keepAliveDue = long.MaxValue;
    private long _timeoutDue = long.MaxValue;

    private readonly RequestState _rs;
    private readonly HeaderList? _requestHeaders;
    private readonly Action<HttpSession, UpdateReason>? _requestUpdate;
    private Dictionary<string, string?>? _prevIds;

    /// <param name="requestUpdate">
    /// Asked when the session must be re-synced through the backend (prev-id gap, hint); the
    /// engine decides whether and when (a retry for response holds).
    /// </param>
    public HttpSession(SessionContext ctx, RequestState rs, GripInstruct instruct, IReadOnlyList<string> channelNames, HeaderList? requestHeaders = null, Action<HttpSession, UpdateReason>? requestUpdate = null)
    {
        _ctx = ctx;
        _requestUpdate = requestUpdate;
        _instruct = instruct;
        _rs = rs;
        // Only CORS reads the request headers: other sessions do not keep them.
        _requestHeaders = rs.AutoCrossOrigin ? requestHeaders : null;
        From = rs.Sender;
        Id = rs.Id;
        RouterResp = rs.RouterResp;
        InSeq = rs.InSeq;
        OutSeq = rs.OutSeq;
        Credits = rs.OutCredits;
        UserData = rs.UserData;
        Mode = instruct.HoldMode;
        for (var i = 0; i < channelNames.Count; i++)
        {
            // Each session tracks its own prev-id (one accept may hand over several sessions).
            // The value keeps the unprefixed name, which filters (require-sub, build-id) see.
            var channel = new InstructChannel(i < instruct.Channels.Count ? instruct.Channels[i].Name : channelNames[i]);
            if (i < instruct.Channels.Count)
            {
                channel.PrevId = instruct.Channels[i].PrevId;
                channel.Filters.AddRange(instruct.Channels[i].Filters);
            }
            Channels[channelNames[i]] = channel;
        }
        LastReceivedMs = ctx.NowMs;
    }

    /// <summary>The requester (connmgr) instance id.</summary>
    public string From { get; }

    public string Id { get; }

    public bool RouterResp { get; }

    /// <summary>The current hold mode (a next-link response may turn a non-hold into a stream hold).</summary>
    public HoldMode Mode { get; private set; }

    /// <summary>Next seq expected from the requester.</summary>
    public int InSeq { get; private set; }

    /// <summary>Next seq we send.</summary>
    public int OutSeq { get; private set; }

    /// <summary>Response body bytes we may still send.</summary>
    public int Credits { get; private set; }

    public object? UserData { get; }

    /// <summary>The accept state this session started from (retry packets echo most of it).</summary>
    public RequestState State => _rs;

    /// <summary>Subscription meta (Grip-Set-Meta / JSON hold.meta).</summary>
    public IReadOnlyDictionary<string, string> Meta => _instruct.Meta;

    /// <summary>A retry was handed to the proxy; the session sends nothing while it is pending.</summary>
    public bool Retrying { get; private set; }

    /// <summary>The peer announced multi-id packet support (ext.multi).</summary>
    public bool PeerMulti { get; private set; }

    /// <summary>Subscribed channels by full (prefixed) name.</summary>
    public Dictionary<string, InstructChannel> Channels { get; } = new(StringComparer.Ordinal);

    public bool Finished { get; private set; }

    public long LastReceivedMs { get; private set; }

    public int QueuedItems => _queue.Count;

    /// <summary>The earliest time <see cref="OnTimer"/> has work to do.</summary>
    public long NextDueMs => Math.Min(Math.Min(_keepAliveDue, _timeoutDue), _linkRetryDue);

    /// <summary>Takes over the session: keep-alive first (so connmgr adopts us), then the response.</summary>
    public void Start(bool responseSent)
    {
        Send(NewPacket(ZhttpPacketType.KeepAlive));

        if (Mode == HoldMode.Response)
        {
            _timeoutDue = _ctx.NowMs + (_instruct.Timeout * 1000L);
            return;
        }

        // Stream hold: send the instruct response now and keep the body open.
        if (!responseSent)
        {
            var r = _instruct.Response;
            var source = r.Headers;
            if (_rs.AutoCrossOrigin)
            {
                source = new HeaderList(source);
                CorsHeaders.Apply<KeyValuePair<string, string>, KeyValueHeaderShape>(_requestHeaders ?? [], source);
            }
            var headers = new List<HttpHeader>(source.Count);
            foreach (var h in source)
            {
                if (!h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    headers.Add(new HttpHeader(h.Key, h.Value));
                }
            }
            var head = NewPacket(ZhttpPacketType.Data);
            head.Code = r.Code;
            head.Reason = r.Reason;
            head.Headers = headers;
            var first = Math.Min(Credits, r.Body.Length);
            head.Body = r.Body.AsMemory(0, first);
            head.More = true;
            Credits -= first;
            Send(head);
            if (first < r.Body.Length)
            {
                Append(r.Body.AsSpan(first));
            }
        }

        _instruct = _instruct.WithoutResponse();

        if (Mode == HoldMode.None)
        {
            // A non-hold response is only taken over when it has a next link: follow it now.
            RequestNextLink();
            return;
        }

        // Ordering needs a next link to recover gaps; without one upstream ends the stream.
        foreach (var c in Channels.Values)
        {
            if (c.PrevId is not null && _nextUri is null)
            {
                Log.PrevIdWithoutNextLink(_ctx.Logger, Id, c.Name);
                _closing = true;
                Flush();
                return;
            }
        }

        ArmKeepAlive();
        ArmLinkTimeout();
    }

    /// <summary>Queues a published item for this session (http-response or http-stream, by hold mode).</summary>
    public void Publish(PublishItem item)
    {
        if (Finished || _closing || Retrying)
        {
            return;
        }
        if (_queue.Count >= PublishQueueMax)
        {
            _ctx.Counters?.Dropped(DropReason.SessionQueueFull);
            Log.QueueFull(_ctx.Logger, Id);
            return;
        }
        _queue.Enqueue(item);
        ProcessQueue();
    }

    /// <summary>A packet from the requester for this session (or one entry of a multi-id packet).</summary>
    public void OnPacket(ZhttpPacket p, int seq)
    {
        if (Finished)
        {
            return;
        }
        LastReceivedMs = _ctx.NowMs;
        if (p.Multi)
        {
            PeerMulti = true;
        }

        // Errors and cancels are honoured before the seq check and never answered.
        if (p.Type is ZhttpPacketType.Cancel or ZhttpPacketType.Error)
        {
            Log.Ended(_ctx.Logger, Id, p.Type.ToString(), p.Condition ?? string.Empty);
            End();
            return;
        }

        if (seq >= 0)
        {
            if (seq != InSeq)
            {
                Log.BadSeq(_ctx.Logger, Id, seq, InSeq);
                Send(NewPacket(ZhttpPacketType.Cancel));
                End();
                return;
            }
            InSeq++;
        }

        if (p.Credits > 0 && p.Type is ZhttpPacketType.Credit or ZhttpPacketType.Data)
        {
            Credits += p.Credits;
            Flush();
            ProcessQueue();
        }
    }

    /// <summary>Runs due timers (response-hold timeout, stream keep-alive).</summary>
    public void OnTimer(long nowMs)
    {
        if (Finished || Retrying)
        {
            return;
        }
        if (nowMs >= _linkRetryDue)
        {
            _linkRetryDue = long.MaxValue;
            RequestNextLink();
            return;
        }
        if (nowMs >= _timeoutDue)
        {
            _timeoutDue = long.MaxValue;
            var r = _instruct.Response;
            Respond(r.Code, r.Reason, r.Headers, r.Body);
            return;
        }
        if (nowMs >= _keepAliveDue)
        {
            _keepAliveDue = long.MaxValue;
            if (_pendingLength == 0 && !_closing)
            {
                Write(_instruct.KeepAliveData);
            }
            ArmKeepAlive(force: true);
        }
    }

    /// <summary>A zhttp-level keep-alive (the engine batches these for multi peers).</summary>
    public int TakeSeqForKeepAlive() => OutSeq++;

    public void SendSingleKeepAlive() => Send(NewPacket(ZhttpPacketType.KeepAlive));

    /// <summary>
    /// The handler is stopping. A stream ends with its last (empty) data packet so the client
    /// gets a complete body (body still waiting for credits is dropped); a response hold is
    /// cancelled, which is what upstream's sessions send when the handler exits.
    /// </summary>
    public void Shutdown()
    {
        if (Finished || Retrying)
        {
            return;
        }
        if (Mode == HoldMode.Response)
        {
            Send(NewPacket(ZhttpPacketType.Cancel));
            End();
            return;
        }
        _closing = true;
        _keepAliveDue = long.MaxValue;
        _queue.Clear();
        Flush();
        if (!Finished)
        {
            ReleasePending();
            Send(NewPacket(ZhttpPacketType.Data));
            Finished = true;
        }
    }

    /// <summary>Forgets the session without sending anything (expired, or the requester ended it).</summary>
    public void End()
    {
        Finished = true;
        _queue.Clear();
        ReleasePending();
    }

    private void ProcessQueue()
    {
        while (!Finished && !_closing && !Retrying && !_proxying && _queue.Count > 0 && _pendingLength == 0 && (Credits > 0 || Mode == HoldMode.Response))
        {
            var item = _queue.Dequeue();
            var format = Mode == HoldMode.Response ? item.HttpResponse : item.HttpStream;
            if (format is null || !Channels.TryGetValue(item.Channel, out var channel))
            {
                continue;
            }

            if (channel.PrevId is not null && !string.Equals(channel.PrevId, item.PrevId, StringComparison.Ordinal))
            {
                // A gap: what is queued cannot follow either; re-sync through the backend.
                Log.PrevIdMismatch(_ctx.Logger, Id, item.PrevId ?? string.Empty, channel.PrevId);
                _queue.Clear();
                _requestUpdate?.Invoke(this, new UpdateReason(item.Channel, HighPriority: false));
                break;
            }

            if (format.ContentFilters is not null && !ContentFiltersMatch(channel, format.ContentFilters))
            {
                _ctx.Counters?.Dropped(DropReason.ContentFilterMismatch);
                if (_rs.Debug)
                {
                    Fail($"content filter mismatch: subscription={string.Join(",", MessageContentFilterNames(channel))} message={string.Join(",", format.ContentFilters)}");
                    return;
                }
                continue;
            }

            var body = format.BodyPatch is not null ? JsonPatch.ApplyToBody(_instruct.Response.Body, format.BodyPatch) : format.Body;
            if (channel.Filters.Count > 0)
            {
                var result = MessageFilters.Run(channel.Filters, FilterContextFor(item), body);
                if (result.Error is not null)
                {
                    _ctx.Counters?.Dropped(DropReason.FilterError);
                    Log.FilterError(_ctx.Logger, Id, result.Error);
                    if (_rs.Debug)
                    {
                        Fail("filter error: " + result.Error);
                        return;
                    }
                    continue;
                }
                if (channel.PrevId is not null)
                {
                    channel.PrevId = item.Id;
                }
                if (result.Drop)
                {
                    _ctx.Counters?.Dropped(DropReason.Filtered);
                    continue;
                }
                body = result.Content;
            }
            else if (channel.PrevId is not null)
            {
                channel.PrevId = item.Id;
            }

            switch (format.Action)
            {
                case PublishAction.Send when Mode == HoldMode.Response:
                    _ctx.Counters?.Delivered();
                    RespondPublished(format, body);
                    return;
                case PublishAction.Send:
                    _ctx.Counters?.Delivered();
                    Write(body);
                    if (_instruct.KeepAliveMode == KeepAliveMode.Idle)
                    {
                        ArmKeepAlive(force: true);
                    }
                    NoteActiveChannel(item.Channel);
                    break;
                case PublishAction.Close when Mode == HoldMode.Stream:
                    _closing = true;
                    _keepAliveDue = long.MaxValue;
                    Flush();
                    return;
                case PublishAction.Hint:
                    // Anything queued is redundant once the backend is asked again.
                    _queue.Clear();
                    _requestUpdate?.Invoke(this, new UpdateReason(null, HighPriority: true));
                    return;
                default:
                    // refresh, and close on a response hold, are ignored, as upstream.
                    Log.ActionIgnored(_ctx.Logger, Id, format.Action.ToString());
                    break;
            }
        }
        FollowBacklog();
    }

    /// <summary>Filters see the session's channels by unprefixed name with their current prev-ids.</summary>
    private FilterContext FilterContextFor(PublishItem item)
    {
        _prevIds ??= new Dictionary<string, string?>(StringComparer.Ordinal);
        _prevIds.Clear();
        foreach (var c in Channels.Values)
        {
            _prevIds[c.Name] = c.PrevId;
        }
        return new FilterContext { SubscriptionMeta = _instruct.Meta, PublishMeta = item.Meta, PrevIds = _prevIds };
    }

    /// <summary>
    /// An error after the session started: a response hold answers 502, a stream ends (debug
    /// mode writes the message first), as upstream's doError.
    /// </summary>
    public void Fail(string message)
    {
        if (Finished || _closing)
        {
            return;
        }
        if (Mode == HoldMode.Response)
        {
            var headers = new HeaderList { new("Content-Type", "text/plain") };
            var text = _rs.Debug ? message : "Error while proxying to origin.";
            Respond(502, "Bad Gateway", headers, System.Text.Encoding.UTF8.GetBytes(text + "\n"));
            return;
        }
        if (_rs.Debug)
        {
            Write(System.Text.Encoding.UTF8.GetBytes("\n\n" + message + "\n"));
        }
        _closing = true;
        _keepAliveDue = long.MaxValue;
        Flush();
    }

    /// <summary>The session was handed back to the proxy for a retry: stop everything, send nothing.</summary>
    public void BeginRetry()
    {
        Retrying = true;
        _timeoutDue = long.MaxValue;
        _keepAliveDue = long.MaxValue;
        _queue.Clear();
    }

    /// <summary>The retry could not be handed over (no proxy on the retry socket): keep holding.</summary>
    public void CancelRetry()
    {
        if (!Retrying || Finished)
        {
            return;
        }
        Retrying = false;
        if (Mode == HoldMode.Response)
        {
            _timeoutDue = _ctx.NowMs + (_instruct.Timeout * 1000L);
        }
        else
        {
            ArmKeepAlive(force: true);
        }
    }

    /// <summary>The retry went to the proxy, which owns the client session again.</summary>
    public void CompleteRetry()
    {
        Finished = true;
        ReleasePending();
    }

    private static IEnumerable<string> MessageContentFilterNames(InstructChannel channel) =>
        MessageFilters.ContentFilterNames(channel.Filters);

    private static bool ContentFiltersMatch(InstructChannel channel, List<string> itemFilters) =>
        MessageFilters.ContentFiltersMatch(channel.Filters, itemFilters);

    // Response hold delivery: instruct headers merged with the published ones (a published header
    // replaces every same-named original), minus the names the publisher listed in Grip-Expose-Headers.
    private void RespondPublished(PublishFormat f, byte[] body)
    {
        var headers = new HeaderList(_instruct.Response.Headers);
        foreach (var h in f.Headers)
        {
            headers.RemoveAll(h.Key);
        }
        List<string>? remove = null;
        foreach (var h in f.Headers)
        {
            if (h.Key.StartsWith("Grip-", StringComparison.OrdinalIgnoreCase))
            {
                if (h.Key.Equals("Grip-Expose-Headers", StringComparison.OrdinalIgnoreCase))
                {
                    remove ??= [];
                    remove.AddRange(h.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                }
                continue;
            }
            headers.Add(h);
        }
        if (remove is not null)
        {
            foreach (var name in remove)
            {
                headers.RemoveAll(name);
            }
        }
        Respond(f.Code, f.Reason, headers, body);
    }

    // A complete response: Content-Length is set here so the framing does not depend on how the
    // body is split by credits.
    private void Respond(int code, string reason, HeaderList source, byte[] body)
    {
        if (_rs.AutoCrossOrigin)
        {
            source = new HeaderList(source);
            source.RemoveAll("Content-Length");
            if (!string.IsNullOrEmpty(_rs.JsonpCallback))
            {
                JsonP.Wrap(_rs.JsonpCallback, _rs.JsonpExtendedResponse, ref code, ref reason, source, ref body);
            }
            else
            {
                CorsHeaders.Apply<KeyValuePair<string, string>, KeyValueHeaderShape>(_requestHeaders ?? [], source);
            }
        }

        var headers = new List<HttpHeader>(source.Count + 1);
        foreach (var h in source)
        {
            if (!h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add(new HttpHeader(h.Key, h.Value));
            }
        }
        headers.Add(new HttpHeader("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)));

        _closing = true;
        _timeoutDue = long.MaxValue;
        _queue.Clear();
        var first = Math.Min(Credits, body.Length);
        var head = NewPacket(ZhttpPacketType.Data);
        head.Code = code;
        head.Reason = reason;
        head.Headers = headers;
        head.Body = body.AsMemory(0, first);
        head.More = first < body.Length;
        Credits -= first;
        Send(head);
        if (first < body.Length)
        {
            Append(body.AsSpan(first));
        }
        else
        {
            Finished = true;
        }
    }

    // Body data: straight out when nothing is pending (no copy; the hot fan-out path), the rest
    // of it buffered until credits arrive.
    private void Write(byte[] data)
    {
        if (_pendingLength > 0)
        {
            Append(data);
            Flush();
            return;
        }
        var n = Math.Min(Credits, data.Length);
        if (n > 0)
        {
            Credits -= n;
            Send(BodyPacket(data.AsMemory(0, n), more: true));
        }
        if (n < data.Length)
        {
            Append(data.AsSpan(n));
        }
    }

    // Sends as much pending body as credits allow; after a close, the last packet has no "more".
    private void Flush()
    {
        while (_pendingLength > 0 && Credits > 0)
        {
            var n = Math.Min(_pendingLength, Credits);
            var body = _pending.AsMemory(_pendingStart, n);
            _pendingStart += n;
            _pendingLength -= n;
            Credits -= n;
            var more = !(_closing && _pendingLength == 0);
            Send(BodyPacket(body, more));
            if (!more)
            {
                Finished = true;
            }
        }
        if (_pendingLength == 0)
        {
            ReleasePending();
            if (_closing && !Finished)
            {
                Send(NewPacket(ZhttpPacketType.Data));
                Finished = true;
            }
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        if (_pending is null)
        {
            _pending = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 4096));
            _pendingStart = 0;
        }
        else if (_pendingStart + _pendingLength + data.Length > _pending.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_pendingLength + data.Length, _pending.Length * 2));
            _pending.AsSpan(_pendingStart, _pendingLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = bigger;
            _pendingStart = 0;
        }
        data.CopyTo(_pending.AsSpan(_pendingStart + _pendingLength));
        _pendingLength += data.Length;
    }

    private void ReleasePending()
    {
        if (_pending is not null)
        {
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = null;
        }
        _pendingStart = 0;
        _pendingLength = 0;
    }

    // Upstream subtracts up to one second of jitter so many streams do not fire together.
    private void ArmKeepAlive(bool force = false)
    {
        if (_instruct.KeepAliveTimeout < 0 || Mode != HoldMode.Stream || _closing)
        {
            return;
        }
        if (!force && _keepAliveDue != long.MaxValue)
        {
            return;
        }
        var ms = (_instruct.KeepAliveTimeout * 1000L) - Random.Shared.Next(1000);
        _keepAliveDue = _ctx.NowMs + Math.Max(ms, 0);
    }

    private ZhttpPacket NewPacket(ZhttpPacketType type) => new()
    {
        From = _ctx.InstanceId,
        Id = Id,
        Seq = OutSeq++,
        Type = type,
        Multi = true,
        UserData = UserData,
    };

    // Body data goes out in the context's shared packet (encoded before Send returns).
    private ZhttpPacket BodyPacket(ReadOnlyMemory<byte> body, bool more)
    {
        var p = _ctx.BodyPacket;
        p.From = _ctx.InstanceId;
        p.Id = Id;
        p.Seq = OutSeq++;
        p.UserData = UserData;
        p.Body = body;
        p.More = more;
        return p;
    }

    private void Send(ZhttpPacket p) => _ctx.Sender.Send(From, p, RouterResp);

    private static partial class Log
    {
        [LoggerMessage(EventId = 306, Level = LogLevel.Debug, Message = "httpsession {Id}: filter error: {Error}")]
        public static partial void FilterError(ILogger logger, string id, string error);

        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "httpsession {Id}: publish queue at max, dropping")]
        public static partial void QueueFull(ILogger logger, string id);

        [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "httpsession {Id}: ended by requester ({Type} {Condition})")]
        public static partial void Ended(ILogger logger, string id, string type, string condition);

        [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "httpsession {Id}: unexpected seq {Got}, expected {Expected}; cancelling")]
        public static partial void BadSeq(ILogger logger, string id, int got, int expected);

        [LoggerMessage(EventId = 303, Level = LogLevel.Debug, Message = "httpsession {Id}: last ID inconsistency (got={Got}, expected={Expected}), retrying")]
        public static partial void PrevIdMismatch(ILogger logger, string id, string got, string expected);

        [LoggerMessage(EventId = 304, Level = LogLevel.Debug, Message = "httpsession {Id}: action {Action} ignored")]
        public static partial void ActionIgnored(ILogger logger, string id, string action);

        [LoggerMessage(EventId = 305, Level = LogLevel.Debug, Message = "httpsession {Id}: channel '{Channel}' specifies prev-id, but no next link found")]
        public static partial void PrevIdWithoutNextLink(ILogger logger, string id, string channel);
    }
}
