using System.Globalization;
using Pushpin.Common.WsControl;

namespace Pushpin.Proxy.WebSockets;

/// <summary>GRIP mode: the ws-control session with the handler (internals.md §6, behavior.md §7.4).</summary>
internal sealed partial class WsProxySession
{
    private const int ControlTtl = 60;
    private const long ControlKeepAliveMs = 45_000;

    // Upstream's wscontrolsession: grip and subscribe items the handler has not acked within
    // this long end the connection (the handler lost it or is gone).
    private const long RequestTimeoutMs = 8_000;

    private readonly Dictionary<string, long> _pendingAcks = new(StringComparer.Ordinal);

    private readonly List<WsControlItem> _pendingControl = [];
    private bool _controlStarted;
    private string? _handlerPeer;
    private int _nextReqId;
    private long _nextControlKeepAliveMs;
    private string? _keepAliveMode;
    private long _keepAliveTimeoutMs;
    private long _keepAliveDueMs = long.MaxValue;

    /// <summary>GRIP mode's message prefix; null = not GRIP mode.</summary>
    public GripMessagePrefix? Prefix { get; private set; }

    /// <summary>GRIP <c>detach</c>: the backend side is closed, the client stays with the handler.</summary>
    public bool Detached { get; private set; }

    private void StartControl()
    {
        _controlStarted = true;
        _host.RegisterCid(this);
        _nextControlKeepAliveMs = _host.NowMs + ControlKeepAliveMs + Random.Shared.Next(0, 3000);
        _host.SendControlInit(new WsControlItem
        {
            Cid = Cid,
            Type = WsControlItemType.Here,
            ReqId = NextReqId(),
            Uri = OrigUri.ToString(),
            Ttl = ControlTtl,
            Route = Route.Id,
            ChannelPrefix = Route.Prefix,
            Debug = Debug,
            SeparateStats = Route.ExplicitId,
            Trusted = Target!.Trusted,
            LogLevel = Route.LogLevel >= 0 ? Route.LogLevel : null,
        });
        foreach (var channel in Target.Subscriptions)
        {
            WriteControl(new WsControlItem { Cid = Cid, Type = WsControlItemType.Subscribe, ReqId = NextAckedReqId(), Channel = channel });
        }
    }

    private string NextReqId() => (_nextReqId++).ToString(CultureInfo.InvariantCulture);

    private string NextAckedReqId()
    {
        var id = NextReqId();
        _pendingAcks[id] = _host.NowMs + RequestTimeoutMs;
        return id;
    }

    private void SendGripMessage(byte[] json)
    {
        if (!_controlStarted)
        {
            LogDebug("control message without a ws-control link, dropped");
            return;
        }
        WriteControl(new WsControlItem { Cid = Cid, Type = WsControlItemType.Grip, ReqId = NextAckedReqId(), Message = json });
    }

    private void WriteControl(WsControlItem item)
    {
        if (_handlerPeer is null)
        {
            // The handler's address is learned from its first answer (the ack of here).
            _pendingControl.Add(item);
            return;
        }
        _host.SendControl(_handlerPeer, item);
    }

    /// <summary>An item from the handler for this connection.</summary>
    public void OnControlItem(string? from, WsControlItem item)
    {
        if (State == WsSessionState.Done)
        {
            return;
        }
        if (from is not null && _handlerPeer != from)
        {
            _handlerPeer = from;
            foreach (var pending in _pendingControl)
            {
                _host.SendControl(from, pending);
            }
            _pendingControl.Clear();
        }
        switch (item.Type)
        {
            case WsControlItemType.Send:
                OnControlSend(item);
                return;
            case WsControlItemType.Ack:
                if (item.ReqId is not null)
                {
                    _pendingAcks.Remove(item.ReqId);
                }
                return;
            case WsControlItemType.Unknown:
                return;
        }
        if (item.ReqId is not null)
        {
            WriteControl(new WsControlItem { Cid = Cid, Type = WsControlItemType.Ack, ReqId = item.ReqId });
        }
        switch (item.Type)
        {
            case WsControlItemType.KeepAliveSetup:
                if (item.Timeout is > 0)
                {
                    _keepAliveMode = item.KeepAliveMode == "interval" ? "interval" : "idle";
                    _keepAliveTimeoutMs = item.Timeout.Value * 1000L;
                    _keepAliveDueMs = _host.NowMs + _keepAliveTimeoutMs;
                }
                else
                {
                    _keepAliveMode = null;
                    _keepAliveDueMs = long.MaxValue;
                }
                break;
            case WsControlItemType.Refresh:
                Backend?.Refresh();
                break;
            case WsControlItemType.Close:
                if (!Detached && Backend is not null && !Backend.Finished)
                {
                    Backend.Close(null, null);
                }
                Detached = true;
                QueueClientClose(item.Code, item.Reason ?? string.Empty);
                break;
            case WsControlItemType.Detach:
                if (!Detached)
                {
                    Detached = true;
                    if (Backend is not null && !Backend.Finished)
                    {
                        Backend.Close(null, null);
                    }
                }
                break;
            case WsControlItemType.Cancel:
                SendInbound(new Common.Zhttp.ZhttpPacket { Type = Common.Zhttp.ZhttpPacketType.Cancel });
                _controlStarted = false;
                Backend?.Disconnect();
                Finish();
                break;
        }
    }

    // A send is acked once written toward the client (upstream: "don't ack until written"); with
    // queue false it is dropped (and acked: dropping is allowed) when the client cannot take it now.
    private void OnControlSend(WsControlItem item)
    {
        if (State != WsSessionState.Connected || _clientCloseQueued)
        {
            AckSend(item.ReqId);
            return;
        }
        if (item.Queue != true && OutCredits <= 0)
        {
            LogDebug("client busy, dropping an unqueued send");
            AckSend(item.ReqId);
            return;
        }
        QueueToClient(new ClientMessage(KindOf(item.ContentType), item.Message ?? []) { AckReqId = item.ReqId });
    }

    private void AckSend(string? reqId)
    {
        if (reqId is not null && _controlStarted)
        {
            WriteControl(new WsControlItem { Cid = Cid, Type = WsControlItemType.Ack, ReqId = reqId });
        }
    }

    private static WsMessageKind KindOf(string? contentType) => contentType switch
    {
        "binary" => WsMessageKind.Binary,
        "ping" => WsMessageKind.Ping,
        "pong" => WsMessageKind.Pong,
        _ => WsMessageKind.Text,
    };

    /// <summary>An outbound write to the client restarts the idle keep-alive.</summary>
    private void MarkClientActivity()
    {
        if (_keepAliveMode == "idle")
        {
            _keepAliveDueMs = _host.NowMs + _keepAliveTimeoutMs;
        }
    }

    private void OnControlTick(long now)
    {
        if (!_controlStarted)
        {
            return;
        }
        foreach (var due in _pendingAcks.Values)
        {
            if (now >= due)
            {
                LogDebug("ws-control request not acked in time; ending");
                _pendingAcks.Clear();
                _controlStarted = false;
                SendInbound(new Common.Zhttp.ZhttpPacket { Type = Common.Zhttp.ZhttpPacketType.Cancel });
                Backend?.Disconnect();
                Finish();
                return;
            }
        }
        if (now >= _nextControlKeepAliveMs)
        {
            _nextControlKeepAliveMs = now + ControlKeepAliveMs;
            WriteControl(new WsControlItem { Cid = Cid, Type = WsControlItemType.KeepAlive, Ttl = ControlTtl });
        }
        if (now >= _keepAliveDueMs)
        {
            _keepAliveDueMs = now + _keepAliveTimeoutMs;
            WriteControl(new WsControlItem { Cid = Cid, Type = WsControlItemType.NeedKeepAlive });
        }
    }

    private void StopControl()
    {
        if (!_controlStarted)
        {
            return;
        }
        _controlStarted = false;
        WriteControl(new WsControlItem { Cid = Cid, Type = WsControlItemType.Gone });
    }
}
