using System.Buffers;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.WebSockets;

/// <summary>
/// WebSocket-over-HTTP (behavior.md §7.3): one client WebSocket as a series of POSTs with
/// <c>application/websocket-events</c> bodies through connmgr's client mode, one at a time.
/// </summary>
/// <remarks>
/// Queued client messages are batched into the next request; the response's events go back
/// to the session in order. Content-Bytes-Accepted trims what the backend took and replays the
/// rest; Keep-Alive-Interval sends empty requests when idle; requests that failed before they
/// reached the backend are retried (5 times, 1 s·2ⁿ + jitter).
/// </remarks>
internal sealed class WohBackend : IWsBackend
{
    private const int RetryMax = 5;
    private const int FirstPacketBody = 65_536;
    private const int MaxPacketBody = 65_536;
    private const int ResponseCredits = 200_000;

    private readonly WsProxy _host;
    private readonly WsProxySession _session;
    private readonly RouteTarget _target;
    private readonly List<OutFrame> _out = [];
    private readonly List<HttpHeader> _meta = [];
    private readonly List<HttpHeader> _baseHeaders;
    private WohState _state = WohState.Connecting;
    private int _keepAliveInterval = -1;
    private long _keepAliveDueMs = long.MaxValue;
    private long _retryDueMs = long.MaxValue;
    private int _retries;
    private bool _updating;
    private bool _updateQueued;
    private bool _disconnecting;
    private bool _disconnectSent;
    private bool _closeSent;
    private bool _peerClosing;
    private int? _closeCode;
    private string? _closeReason;
    private int _outContentReplay;
    private int _outFramesReplay;
    private int _outContentSize;

    // The request in flight.
    private byte[] _reqBody = [];
    private int _reqFrames;
    private int _reqContentSize;
    private int _reqCloseContentSize;
    private bool _reqClose;
    private bool _reqMaxed;
    private string? _reqId;
    private string? _reqAddress;
    private int _reqOutSeq;
    private int _reqInSeq;
    private int _reqCredits;
    private int _reqBodySent;
    private bool _reqBodyDone;
    private int _respCode = -1;
    private string _respReason = string.Empty;
    private List<HttpHeader> _respHeaders = [];
    private ArrayBufferWriter<byte>? _respBody;
    private bool _respTooLarge;

    public WohBackend(WsProxy host, WsProxySession session, RouteTarget target)
    {
        _host = host;
        _session = session;
        _target = target;
        _baseHeaders = WebSocketOverHttpRules.SanitizeRequestHeaders(session.Headers);
        _baseHeaders.RemoveAll(h => h.Is("Sec-WebSocket-Extensions") || h.Is("Content-Type"));
    }

    public int BufferedContent => _outContentSize;

    public bool Finished => _state == WohState.Finished;

    public void Start() => Update();

    public void Write(WsMessageKind kind, byte[] content)
    {
        if (_state != WohState.Connected)
        {
            return;
        }
        _out.Add(new OutFrame(kind, content));
        _outContentSize += content.Length;
        if (NeedUpdate())
        {
            Update();
        }
    }

    public void Close(int? code, string? reason)
    {
        if (_state != WohState.Connected)
        {
            return;
        }
        _state = WohState.Closing;
        _closeCode = code;
        _closeReason = reason;
        Update();
    }

    public void Disconnect()
    {
        if (_state == WohState.Finished || _disconnecting)
        {
            return;
        }
        if (_state == WohState.Connecting)
        {
            // Nothing was opened: just drop the request.
            CancelRequest();
            Finish();
            return;
        }
        _disconnecting = true;
        if (!_updating)
        {
            Update();
        }
    }

    public void Release(int bytes)
    {
        // No credits toward this backend.
    }

    public void Refresh()
    {
        if (_state != WohState.Connected || _disconnecting)
        {
            return;
        }
        if (_updating)
        {
            _updateQueued = true;
        }
        else
        {
            Update();
        }
    }

    public void OnTick(long nowMs)
    {
        if (_state == WohState.Finished)
        {
            return;
        }
        if (nowMs >= _retryDueMs)
        {
            _retryDueMs = long.MaxValue;
            SendRequest();
            return;
        }
        if (nowMs >= _keepAliveDueMs && !_updating)
        {
            _keepAliveDueMs = long.MaxValue;
            Update();
        }
    }

    // ------------------------------------------------------------------ building requests

    private bool NeedUpdate()
    {
        if (_disconnecting && !_disconnectSent)
        {
            return true;
        }
        if (_updateQueued)
        {
            return true;
        }
        var newData = _out.Count > _outFramesReplay || _outContentSize > _outContentReplay;
        return (_out.Count > 0 && newData) || (_out.Count == 0 && _state == WohState.Closing && !_closeSent);
    }

    private void Update()
    {
        if (_updating || _state == WohState.Finished)
        {
            return;
        }
        _updateQueued = false;
        _updating = true;
        _keepAliveDueMs = long.MaxValue;
        _reqFrames = 0;
        _reqContentSize = 0;
        _reqClose = false;
        _reqCloseContentSize = 0;
        _reqMaxed = false;
        var body = new ArrayBufferWriter<byte>(256);
        if (_state == WohState.Connecting)
        {
            WebSocketEventCodec.Write(body, WebSocketEventType.Open);
        }
        else if (_disconnecting && !_disconnectSent)
        {
            WebSocketEventCodec.Write(body, WebSocketEventType.Disconnect);
            _disconnectSent = true;
        }
        else
        {
            var maxEvents = _target.OneEvent ? 1 : int.MaxValue;
            foreach (var f in _out)
            {
                if (_reqFrames >= maxEvents || (_reqFrames > 0 && _reqContentSize + f.Content.Length > WebSocketOverHttpRules.BufferSize))
                {
                    break;
                }
                WebSocketEventCodec.WriteMessage(body, EventType(f.Kind), f.Content);
                _reqFrames++;
                _reqContentSize += f.Content.Length;
            }
            _reqMaxed = _reqFrames < _out.Count;
            if (_state == WohState.Closing && !_closeSent && _reqFrames < maxEvents && !_reqMaxed)
            {
                if (_closeCode is { } code)
                {
                    var content = WebSocketEventCodec.CloseContent(code, _closeReason);
                    WebSocketEventCodec.Write(body, WebSocketEventType.Close, content);
                    _reqCloseContentSize = content.Length;
                }
                else
                {
                    WebSocketEventCodec.Write(body, WebSocketEventType.Close);
                }
                _reqClose = true;
            }
        }
        _reqBody = body.WrittenSpan.ToArray();
        SendRequest();
    }

    private static WebSocketEventType EventType(WsMessageKind kind) => kind switch
    {
        WsMessageKind.Binary => WebSocketEventType.Binary,
        WsMessageKind.Ping => WebSocketEventType.Ping,
        WsMessageKind.Pong => WebSocketEventType.Pong,
        _ => WebSocketEventType.Text,
    };

    private void SendRequest()
    {
        _reqId = Guid.NewGuid().ToString("N");
        _reqAddress = null;
        _reqOutSeq = 0;
        _reqInSeq = 0;
        _reqCredits = 0;
        _respCode = -1;
        _respReason = string.Empty;
        _respHeaders = [];
        _respBody = null;
        _respTooLarge = false;
        _host.RegisterOutbound(_reqId, this);

        // Headers as the session computed them (route rules), a fresh Grip-Sig, then WOH's own.
        var headers = new List<HttpHeader>(_baseHeaders);
        var uri = _session.Uri with { Scheme = _target.Ssl ? "https" : "http" };
        RequestHeaderRules.Apply(headers, _session.Route, _host.Options, _session.Trusted, _session.PeerAddress, uri.Scheme, _host.Time.GetUtcNow());
        RequestHeaderRules.ApplyHost(headers, uri);
        headers.Add(new HttpHeader("Sec-WebSocket-Extensions", "grip"));
        headers.AddRange(WebSocketOverHttpRules.RequestHeaders(_session.Cid, _reqBody.Length, _outContentReplay, _meta));

        var first = Math.Min(_reqBody.Length, FirstPacketBody);
        _reqBodySent = first;
        _reqBodyDone = first == _reqBody.Length;
        _host.Requester.SendInitial(new ZhttpPacket
        {
            From = _host.Options.InstanceId,
            Id = _reqId,
            Seq = _reqOutSeq++,
            Method = "POST",
            Uri = uri.ToString(),
            Headers = headers,
            Body = _reqBody.AsMemory(0, first),
            More = !_reqBodyDone,
            Stream = true,
            Credits = ResponseCredits,
            RouterResp = true,
            ConnectHost = _target.ConnectHost,
            ConnectPort = _target.ConnectPort,
            IgnorePolicies = _target.Trusted,
            TrustConnectHost = _target.TrustConnectHost,
            IgnoreTlsErrors = _target.Insecure,
            PeerAddress = _session.PeerAddress,
        });
    }

    private void SendToRequest(ZhttpPacket p)
    {
        p.From = _host.Options.InstanceId;
        p.Id = _reqId;
        p.Seq = _reqOutSeq++;
        _host.Requester.SendToRouter(_reqAddress!, p);
    }

    private void CancelRequest()
    {
        if (_reqId is null)
        {
            return;
        }
        if (_reqAddress is not null)
        {
            SendToRequest(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        }
        EndRequest();
    }

    private void EndRequest()
    {
        if (_reqId is not null)
        {
            _host.UnregisterOutbound(_reqId);
            _reqId = null;
        }
    }

    // ------------------------------------------------------------------ the request's packets

    public void OnPacket(ZhttpPacket p)
    {
        if (_reqId is null || p.Id != _reqId)
        {
            return;
        }
        if (p.Seq >= 0 && p.Seq != _reqInSeq && p.Type is not (ZhttpPacketType.Cancel or ZhttpPacketType.Error))
        {
            CancelRequest();
            OnRequestError("bad-seq");
            return;
        }
        _reqInSeq = p.Seq >= 0 ? p.Seq + 1 : _reqInSeq + 1;
        if (p.From is not null)
        {
            _reqAddress = p.From;
        }
        if (p.Credits > 0)
        {
            _reqCredits += p.Credits;
        }
        switch (p.Type)
        {
            case ZhttpPacketType.Error:
            case ZhttpPacketType.Cancel:
                EndRequest();
                OnRequestError(p.Type == ZhttpPacketType.Cancel ? "cancel" : p.Condition ?? "undefined-condition");
                return;
            case ZhttpPacketType.Data:
                OnResponseData(p);
                return;
            case ZhttpPacketType.KeepAlive:
            case ZhttpPacketType.Credit:
                FlushRequestBody();
                return;
        }
    }

    private void FlushRequestBody()
    {
        while (!_reqBodyDone && _reqCredits > 0 && _reqAddress is not null)
        {
            var n = Math.Min(Math.Min(_reqCredits, MaxPacketBody), _reqBody.Length - _reqBodySent);
            var chunk = _reqBody.AsMemory(_reqBodySent, n);
            _reqBodySent += n;
            _reqCredits -= n;
            _reqBodyDone = _reqBodySent == _reqBody.Length;
            SendToRequest(new ZhttpPacket { Body = chunk, More = !_reqBodyDone });
        }
    }

    private void OnResponseData(ZhttpPacket p)
    {
        if (_respCode < 0)
        {
            if (p.Code < 0)
            {
                return;
            }
            _respCode = p.Code;
            _respReason = p.Reason ?? string.Empty;
            _respHeaders = p.Headers ?? [];
            _respBody = new ArrayBufferWriter<byte>(Math.Max(p.Body.Length, 256));
        }
        if (_respBody!.WrittenCount + p.Body.Length > WebSocketOverHttpRules.ResponseBodyMax)
        {
            _respTooLarge = true;
        }
        else
        {
            _respBody.Write(p.Body.Span);
        }
        if (p.More)
        {
            if (_respTooLarge)
            {
                CancelRequest();
                Fail("response body too large");
                return;
            }
            if (p.Body.Length > 0)
            {
                SendToRequest(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = p.Body.Length });
            }
            FlushRequestBody();
            return;
        }
        EndRequest();
        if (_respTooLarge)
        {
            Fail("response body too large");
            return;
        }
        OnResponse();
    }

    private void OnRequestError(string condition)
    {
        var connectError = condition is "remote-connection-failed" or "connection-timeout" or "tls-error";
        var retry = connectError || (condition is "undefined-condition" or "cancel" && !_reqBodyDone);
        if (_state == WohState.Connecting)
        {
            Finish();
            _session.OnBackendConnectFailed(connectError, condition);
            return;
        }
        if (retry && _retries < RetryMax && !_disconnectSent)
        {
            var delay = 1000L << _retries;
            delay += Random.Shared.Next(0, 1000);
            _retries++;
            _retryDueMs = _host.NowMs + delay;
            WsProxy.LogDebug(_host.Logger, _session.Cid, "woh request failed (" + condition + "), retrying in " + delay + " ms");
            return;
        }
        Fail("request failed: " + condition);
    }

    // ------------------------------------------------------------------ the response

    private void OnResponse()
    {
        _retries = 0;
        var headers = _respHeaders;
        var body = _respBody!.WrittenMemory;
        if (!WebSocketOverHttpRules.IsEventsResponse(_respCode, headers))
        {
            if (_state == WohState.Connecting)
            {
                Finish();
                var cut = body.Length > WebSocketOverHttpRules.RejectBodyMax ? body[..WebSocketOverHttpRules.RejectBodyMax] : body;
                var relayed = new List<HttpHeader>(headers);
                relayed.RemoveAll(h => h.Is("Content-Length") || h.Is("Transfer-Encoding") || h.Is("Connection") || h.Is("Keep-Alive"));
                _session.OnBackendRejected(_respCode, _respReason, relayed, cut.ToArray());
                return;
            }
            Fail("response is not " + WebSocketEventCodec.ContentType + " (" + _respCode + ")");
            return;
        }
        _keepAliveInterval = WebSocketOverHttpRules.ApplyKeepAliveInterval(headers, _keepAliveInterval);
        if (!WebSocketOverHttpRules.TryEvaluateContentBytesAccepted(headers, _reqContentSize, _reqCloseContentSize, _reqClose, out var acceptance, out var error))
        {
            Fail(error!);
            return;
        }
        var framesRemoved = RemoveContent(acceptance.ContentAccepted);
        if (_reqMaxed && framesRemoved == 0 && acceptance.ContentAccepted == 0)
        {
            Fail("backend accepted nothing of a full request");
            return;
        }
        _outContentReplay = acceptance.ContentToReplay;
        _outFramesReplay = Math.Max(_reqFrames - framesRemoved, 0);
        var reqClose = _reqClose && acceptance.CloseAccepted;
        if (reqClose)
        {
            _out.Clear();
            _outContentSize = 0;
            _outContentReplay = 0;
            _outFramesReplay = 0;
        }
        WebSocketOverHttpRules.ApplySetMeta(headers, _meta);
        if (!WebSocketEventCodec.TryDecodeAll(_respBody.WrittenMemory, out var events, out error))
        {
            Fail("bad events: " + error);
            return;
        }
        if (_state == WohState.Connecting)
        {
            if (!WebSocketOverHttpRules.IsValidOpenResponse(events, _keepAliveInterval, out error))
            {
                Fail(error!);
                return;
            }
        }
        if (_disconnectSent)
        {
            Finish();
            return;
        }

        var closed = false;
        var disconnected = false;
        int? peerCode = null;
        var peerReason = string.Empty;
        foreach (var e in events)
        {
            if (_state == WohState.Finished)
            {
                return;
            }
            switch (e.Type)
            {
                case WebSocketEventType.Open:
                    if (_state != WohState.Connecting)
                    {
                        disconnected = true;
                        break;
                    }
                    Connected(headers);
                    continue;
                case WebSocketEventType.Text:
                    _session.OnBackendMessage(WsMessageKind.Text, e.ContentToArray());
                    continue;
                case WebSocketEventType.Binary:
                    _session.OnBackendMessage(WsMessageKind.Binary, e.ContentToArray());
                    continue;
                case WebSocketEventType.Ping:
                    _session.OnBackendMessage(WsMessageKind.Ping, e.ContentToArray());
                    continue;
                case WebSocketEventType.Pong:
                    _session.OnBackendMessage(WsMessageKind.Pong, e.ContentToArray());
                    continue;
                case WebSocketEventType.Close:
                    _peerClosing = true;
                    peerCode = e.CloseCode;
                    peerReason = e.CloseReason;
                    closed = true;
                    break;
                case WebSocketEventType.Disconnect:
                    disconnected = true;
                    break;
                default:
                    continue;
            }
            break;
        }
        if (_state == WohState.Connecting)
        {
            // Keep-Alive-Interval without events: connected all the same.
            Connected(headers);
        }
        if (_state == WohState.Finished)
        {
            return;
        }
        if (framesRemoved > 0 || acceptance.ContentAccepted > 0)
        {
            _session.OnBackendWritten();
        }
        if (reqClose)
        {
            _closeSent = true;
        }
        if (closed)
        {
            if (_closeSent)
            {
                Finish();
                _session.OnBackendClosed(peerCode, peerReason);
                return;
            }
            _session.OnBackendPeerClosed(peerCode, peerReason);
        }
        else if (_closeSent && _keepAliveInterval == -1)
        {
            // Without keep-alives the backend had its one chance to answer the close.
            disconnected = true;
        }
        if (disconnected)
        {
            Finish();
            _session.OnBackendError("disconnected by the backend");
            return;
        }
        if (reqClose && _peerClosing)
        {
            Finish();
            _session.OnBackendClosed(peerCode, peerReason);
            return;
        }
        _updating = false;
        if (NeedUpdate())
        {
            Update();
        }
        else if (_keepAliveInterval != -1)
        {
            _keepAliveDueMs = _host.NowMs + _keepAliveInterval * 1000L;
        }
    }

    /// <summary>The backend accepted: the client gets a 101 with the response's headers minus WOH's own (the session reads the grip extension).</summary>
    private void Connected(List<HttpHeader> headers)
    {
        _state = WohState.Connected;
        var forClient = WebSocketOverHttpRules.StripOpenResponseHeaders(headers);
        forClient.AddRange(headers.Where(h => h.Is("Sec-WebSocket-Extensions")));
        _session.OnBackendConnected("Switching Protocols", forClient);
    }

    /// <summary>Removes <paramref name="bytes"/> of content from the front of the queue; returns whole frames removed.</summary>
    private int RemoveContent(int bytes)
    {
        var removed = 0;
        while (_out.Count > 0)
        {
            var f = _out[0];
            if (f.Content.Length <= bytes)
            {
                bytes -= f.Content.Length;
                _outContentSize -= f.Content.Length;
                _out.RemoveAt(0);
                removed++;
                if (bytes == 0 && (_out.Count == 0 || _out[0].Content.Length > 0))
                {
                    break;
                }
                continue;
            }
            if (bytes > 0)
            {
                _out[0] = f with { Content = f.Content[bytes..] };
                _outContentSize -= bytes;
            }
            break;
        }
        return removed;
    }

    private void Fail(string why)
    {
        var wasConnecting = _state == WohState.Connecting;
        Finish();
        if (wasConnecting)
        {
            _session.OnBackendConnectFailed(false, why);
        }
        else
        {
            _session.OnBackendError(why);
        }
    }

    private void Finish()
    {
        _state = WohState.Finished;
        _updating = false;
        _keepAliveDueMs = long.MaxValue;
        _retryDueMs = long.MaxValue;
        EndRequest();
        _host.Sweep(this);
    }

    private sealed record OutFrame(WsMessageKind Kind, byte[] Content);

    private enum WohState
    {
        Connecting,
        Connected,
        Closing,
        Finished,
    }
}
