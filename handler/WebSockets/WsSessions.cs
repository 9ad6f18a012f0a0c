using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Stats;
using Pushpin.Common.WsControl;
using Pushpin.Handler.Filters;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.WsControl;

namespace Pushpin.Handler.WebSockets;

/// <summary>
/// The handler's WebSocket sessions (internals.md §6, behavior.md §7.4–7.5): ws-control items
/// from the proxy, GRIP control messages, channel subscriptions, and <c>ws-message</c> publishing.
/// </summary>
/// <remarks>Runs on the handler engine loop (posted work), so nothing here locks.</remarks>
internal sealed partial class WsSessions
{
    private readonly Dictionary<string, WsSession> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<WsSession>> _byChannel = new(StringComparer.Ordinal);
    private readonly Action<string, IReadOnlyList<WsControlItem>> _send;
    private readonly int _subscriptionMax;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="send">Writes items to a proxy (by instance id) through the ws-control ROUTER.</param>
    public WsSessions(Action<string, IReadOnlyList<WsControlItem>> send, int subscriptionMax, TimeProvider time, ILogger logger)
    {
        _send = send;
        _subscriptionMax = subscriptionMax;
        _time = time;
        _logger = logger;
    }

    public int Count => _sessions.Count;

    /// <summary>Told when a channel gets its first (true) or loses its last (false) WebSocket subscriber.</summary>
    public Action<string, bool>? ChannelSubscriptionChanged { get; set; }

    public StatsAggregator? Stats { get; set; }

    // Monotonic milliseconds (tests drive the clock through timestamps).
    private long NowMs => (long)(_time.GetTimestamp() * 1000.0 / _time.TimestampFrequency);

    /// <summary>The cids subscribed to <paramref name="channel"/>.</summary>
    public IReadOnlyList<string> CidsOf(string channel) =>
        _byChannel.TryGetValue(channel, out var set) ? set.Select(s => s.Cid).ToList() : [];

    /// <summary>True when the session exists (and a refresh was sent).</summary>
    public bool Refresh(string cid)
    {
        if (!_sessions.TryGetValue(cid, out var s))
        {
            return false;
        }
        Send(s, new WsControlItem { Cid = cid, Type = WsControlItemType.Refresh });
        return true;
    }

    // ------------------------------------------------------------------ ws-control input

    public void Handle(WsControlPacket packet)
    {
        var from = packet.From;
        if (from is null)
        {
            Log.NoFrom(_logger);
            return;
        }
        var outItems = new List<WsControlItem>();
        foreach (var item in packet.Items)
        {
            if (item.Type != WsControlItemType.Ack && item.ReqId is not null)
            {
                outItems.Add(new WsControlItem { Cid = item.Cid, Type = WsControlItemType.Ack, ReqId = item.ReqId });
            }
            if (item.Type == WsControlItemType.Here)
            {
                if (!_sessions.TryGetValue(item.Cid, out var created))
                {
                    created = new WsSession(item.Cid, from);
                    _sessions[item.Cid] = created;
                    Stats?.AddConnection(item.Cid, item.Route, StatsConnectionType.WebSocket, null, false);
                    Log.Added(_logger, item.Cid);
                }
                created.Peer = from;
                created.Uri = item.Uri;
                created.Route = item.Route;
                created.ChannelPrefix = item.ChannelPrefix ?? string.Empty;
                created.TtlSeconds = item.Ttl ?? 60;
                created.Debug = item.Debug ?? false;
                created.ExpiresMs = NowMs + created.TtlSeconds * 1000L;
                continue;
            }
            if (!_sessions.TryGetValue(item.Cid, out var s))
            {
                // Unknown connection: make the proxy close it (the client reconnects to repair).
                if (item.Type is not (WsControlItemType.Cancel or WsControlItemType.Gone or WsControlItemType.Ack))
                {
                    outItems.Add(new WsControlItem { Cid = item.Cid, Type = WsControlItemType.Cancel });
                }
                continue;
            }
            switch (item.Type)
            {
                case WsControlItemType.KeepAlive:
                    s.TtlSeconds = item.Ttl ?? s.TtlSeconds;
                    s.ExpiresMs = NowMs + s.TtlSeconds * 1000L;
                    break;
                case WsControlItemType.Gone:
                case WsControlItemType.Cancel:
                    Remove(s);
                    break;
                case WsControlItemType.Grip:
                    OnGripMessage(s, item.Message ?? [], outItems);
                    break;
                case WsControlItemType.NeedKeepAlive:
                    if (s.KeepAliveMessage is not null)
                    {
                        outItems.Add(new WsControlItem { Cid = s.Cid, Type = WsControlItemType.Send, ContentType = s.KeepAliveType, Message = s.KeepAliveMessage });
                    }
                    break;
                case WsControlItemType.Subscribe:
                    if (item.Channel is { Length: > 0 } channel)
                    {
                        s.ImplicitChannels.Add(channel);
                        Subscribe(s, channel);
                    }
                    break;
            }
        }
        if (outItems.Count > 0)
        {
            for (var i = 0; i < outItems.Count; i += WsControlPacket.MaxItems)
            {
                _send(from, outItems.GetRange(i, Math.Min(WsControlPacket.MaxItems, outItems.Count - i)));
            }
        }
    }

    private void OnGripMessage(WsSession s, byte[] json, List<WsControlItem> outItems)
    {
        if (!WsControlMessageParser.TryParse(json, out var cm, out var error))
        {
            Log.BadControl(_logger, s.Cid, error ?? "?");
            return;
        }
        switch (cm!.Type)
        {
            case WsControlMessageType.Subscribe:
                if (s.Channels.Count >= _subscriptionMax)
                {
                    Log.TooManySubscriptions(_logger, s.Cid);
                    return;
                }
                if (cm.Filters.Count > WsControlMessage.MaxFilters)
                {
                    outItems.Add(CloseError(s, "too many filters for channel '" + cm.Channel + "'"));
                    return;
                }
                Subscribe(s, s.ChannelPrefix + cm.Channel);
                if (cm.Filters.Count > 0)
                {
                    s.ChannelFilters[s.ChannelPrefix + cm.Channel] = cm.Filters;
                }
                else
                {
                    s.ChannelFilters.Remove(s.ChannelPrefix + cm.Channel);
                }
                break;
            case WsControlMessageType.Unsubscribe:
                var channel = s.ChannelPrefix + cm.Channel;
                if (!s.ImplicitChannels.Contains(channel))
                {
                    Unsubscribe(s, channel);
                }
                break;
            case WsControlMessageType.Detach:
                outItems.Add(new WsControlItem { Cid = s.Cid, Type = WsControlItemType.Detach });
                break;
            case WsControlMessageType.Session:
                s.SessionId = string.IsNullOrEmpty(cm.SessionId) ? null : cm.SessionId;
                break;
            case WsControlMessageType.SetMeta:
                if (cm.MetaValue is null)
                {
                    s.Meta.Remove(cm.MetaName);
                }
                else
                {
                    s.Meta[cm.MetaName] = cm.MetaValue;
                }
                break;
            case WsControlMessageType.KeepAlive:
                if (cm.Content is null)
                {
                    s.KeepAliveMessage = null;
                    outItems.Add(new WsControlItem { Cid = s.Cid, Type = WsControlItemType.KeepAliveSetup });
                }
                else
                {
                    s.KeepAliveMessage = cm.Content;
                    s.KeepAliveType = TypeName(cm.MessageType);
                    outItems.Add(new WsControlItem
                    {
                        Cid = s.Cid,
                        Type = WsControlItemType.KeepAliveSetup,
                        KeepAliveMode = cm.IsIntervalMode ? "interval" : "idle",
                        Timeout = cm.Timeout is > 0 ? cm.Timeout : WsControlMessage.DefaultKeepAliveTimeout,
                    });
                }
                break;
            case WsControlMessageType.SendDelayed:
                // A new delayed message first sends the pending one.
                FlushDelayed(s, outItems);
                s.DelayedMessage = cm.Content ?? [];
                s.DelayedType = TypeName(cm.MessageType);
                s.DelayedDueMs = NowMs + (cm.Timeout is > 0 ? cm.Timeout.Value : WsControlMessage.DefaultSendDelayedTimeout) * 1000L;
                break;
            case WsControlMessageType.FlushDelayed:
                FlushDelayed(s, outItems);
                break;
        }
    }

    private static string TypeName(WsControl.WsMessageType t) => t switch
    {
        WsControl.WsMessageType.Binary => "binary",
        WsControl.WsMessageType.Ping => "ping",
        WsControl.WsMessageType.Pong => "pong",
        _ => "text",
    };

    private static void FlushDelayed(WsSession s, List<WsControlItem> outItems)
    {
        if (s.DelayedMessage is null)
        {
            return;
        }
        outItems.Add(new WsControlItem { Cid = s.Cid, Type = WsControlItemType.Send, ContentType = s.DelayedType, Message = s.DelayedMessage, Queue = true });
        s.DelayedMessage = null;
        s.DelayedDueMs = long.MaxValue;
    }

    private WsControlItem CloseError(WsSession s, string message)
    {
        Log.CloseError(_logger, s.Cid, message);
        return new WsControlItem { Cid = s.Cid, Type = WsControlItemType.Close, Code = 1011, Reason = message };
    }

    // ------------------------------------------------------------------ subscriptions

    private void Subscribe(WsSession s, string channel)
    {
        if (!s.Channels.Add(channel))
        {
            return;
        }
        if (!_byChannel.TryGetValue(channel, out var set))
        {
            set = [];
            _byChannel[channel] = set;
            ChannelSubscriptionChanged?.Invoke(channel, true);
        }
        set.Add(s);
        Stats?.AddSubscription("ws", channel, set.Count);
        Log.Subscribed(_logger, s.Uri ?? s.Cid, channel);
    }

    private void Unsubscribe(WsSession s, string channel)
    {
        s.ChannelFilters.Remove(channel);
        if (!s.Channels.Remove(channel) || !_byChannel.TryGetValue(channel, out var set))
        {
            return;
        }
        set.Remove(s);
        if (set.Count == 0)
        {
            _byChannel.Remove(channel);
            ChannelSubscriptionChanged?.Invoke(channel, false);
            Stats?.RemoveSubscription("ws", channel, linger: true);
        }
        else
        {
            Stats?.AddSubscription("ws", channel, set.Count);
        }
    }

    private void Remove(WsSession s)
    {
        if (!_sessions.Remove(s.Cid))
        {
            return;
        }
        foreach (var channel in s.Channels.ToList())
        {
            Unsubscribe(s, channel);
        }
        Stats?.RemoveConnection(s.Cid);
        Log.Removed(_logger, s.Cid);
    }

    // ------------------------------------------------------------------ publishing and timers

    /// <summary>Delivers an item's <c>ws-message</c> format to the channel's WebSocket subscribers.</summary>
    public void Publish(PublishItem item)
    {
        var f = item.WsMessage;
        if (f is null || !_byChannel.TryGetValue(item.Channel, out var set))
        {
            return;
        }
        var count = 0;
        foreach (var s in set.ToList())
        {
            if (s.Closed || !PassesFilters(s, item, f, out var body))
            {
                continue;
            }
            count++;
            switch (f.Action)
            {
                case PublishAction.Send:
                    Send(s, new WsControlItem { Cid = s.Cid, Type = WsControlItemType.Send, ContentType = ContentType(f.MessageType), Message = body });
                    break;
                case PublishAction.Close:
                    s.Closed = true;
                    Send(s, new WsControlItem { Cid = s.Cid, Type = WsControlItemType.Close, Code = f.Code >= 0 ? f.Code : null, Reason = f.Reason.Length > 0 ? Latin1ToUtf8(f.Reason) : null });
                    break;
                case PublishAction.Refresh:
                    Send(s, new WsControlItem { Cid = s.Cid, Type = WsControlItemType.Refresh });
                    break;
            }
            Stats?.AddMessageSent(s.Route, "ws-message");
        }
        if (count > 0)
        {
            Stats?.AddMessage(item.Channel, item.Id, "ws-message", count);
        }
    }

    // As upstream's WsSession: content-filters must equal the subscription's content filters,
    // then the channel's filters run (skip-self, skip-users, require-sub drop; var-subst and
    // build-id rewrite). A mismatch or error drops the message, or closes (1011) in debug mode.
    private bool PassesFilters(WsSession s, PublishItem item, PublishFormat f, out byte[] body)
    {
        body = f.Body;
        var filters = s.ChannelFilters.GetValueOrDefault(item.Channel) ?? [];
        if (f.ContentFilters is not null && !MessageFilters.ContentFiltersMatch(filters, f.ContentFilters))
        {
            if (s.Debug)
            {
                FailSession(s, $"content filter mismatch: subscription={string.Join(",", MessageFilters.ContentFilterNames(filters))} message={string.Join(",", f.ContentFilters)}");
            }
            return false;
        }
        if (filters.Count == 0)
        {
            return true;
        }
        var prevIds = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var channel in s.Channels)
        {
            // WebSocket subscriptions carry no prev-ids; the names still count for require-sub.
            prevIds[channel] = null;
        }
        var result = MessageFilters.Run(filters, new FilterContext { SubscriptionMeta = s.Meta, PublishMeta = item.Meta, PrevIds = prevIds }, f.Body);
        if (result.Error is not null)
        {
            Log.FilterError(_logger, s.Cid, result.Error);
            if (s.Debug)
            {
                FailSession(s, "filter error: " + result.Error);
            }
            return false;
        }
        body = result.Content;
        return !result.Drop;
    }

    private void FailSession(WsSession s, string message)
    {
        s.Closed = true;
        var close = CloseError(s, message);
        Send(s, close);
    }

    // Publish reasons are kept as Latin-1 byte strings; the close reason is UTF-8 text.
    private static string Latin1ToUtf8(string latin1) => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(latin1));

    private static string ContentType(Publishing.WsMessageType t) => t switch
    {
        Publishing.WsMessageType.Binary => "binary",
        Publishing.WsMessageType.Ping => "ping",
        Publishing.WsMessageType.Pong => "pong",
        _ => "text",
    };

    /// <summary>Expires sessions the proxy stopped refreshing and sends due delayed messages.</summary>
    public void Tick()
    {
        if (_sessions.Count == 0)
        {
            return;
        }
        var now = NowMs;
        List<WsSession>? expired = null;
        foreach (var s in _sessions.Values)
        {
            if (now >= s.ExpiresMs)
            {
                (expired ??= []).Add(s);
                continue;
            }
            if (now >= s.DelayedDueMs)
            {
                var items = new List<WsControlItem>(1);
                FlushDelayed(s, items);
                _send(s.Peer, items);
            }
        }
        if (expired is not null)
        {
            foreach (var s in expired)
            {
                Log.Expired(_logger, s.Cid);
                Remove(s);
            }
        }
    }

    private void Send(WsSession s, WsControlItem item) => _send(s.Peer, [item]);

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Debug, Message = "added ws session: {Cid}")]
        public static partial void Added(ILogger logger, string cid);

        [LoggerMessage(EventId = 701, Level = LogLevel.Debug, Message = "removed ws session: {Cid}")]
        public static partial void Removed(ILogger logger, string cid);

        [LoggerMessage(EventId = 702, Level = LogLevel.Debug, Message = "ws session {Cid}: ignoring control message: {Error}")]
        public static partial void BadControl(ILogger logger, string cid, string error);

        [LoggerMessage(EventId = 703, Level = LogLevel.Debug, Message = "ws session {Cid}: too many subscriptions")]
        public static partial void TooManySubscriptions(ILogger logger, string cid);

        [LoggerMessage(EventId = 704, Level = LogLevel.Information, Message = "subscribe {Uri} channel={Channel}")]
        public static partial void Subscribed(ILogger logger, string uri, string channel);

        [LoggerMessage(EventId = 705, Level = LogLevel.Debug, Message = "ws session {Cid} expired")]
        public static partial void Expired(ILogger logger, string cid);

        [LoggerMessage(EventId = 706, Level = LogLevel.Debug, Message = "ws session {Cid}: closing: {Message}")]
        public static partial void CloseError(ILogger logger, string cid, string message);

        [LoggerMessage(EventId = 708, Level = LogLevel.Debug, Message = "ws session {Cid}: filter error: {Error}")]
        public static partial void FilterError(ILogger logger, string cid, string error);

        [LoggerMessage(EventId = 707, Level = LogLevel.Warning, Message = "IN wscontrol: packet without from, skipping")]
        public static partial void NoFrom(ILogger logger);
    }
}
