using System.Buffers;
using System.Text;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.WebSockets;

/// <summary>
/// Raw WebSocket proxying (behavior.md §7.2): the backend WebSocket through connmgr's client
/// mode, frames both ways under credits, ping/pong with payloads, close codes both ways.
/// </summary>
/// <remarks>
/// Backend messages are assembled whole before they go to the session (GRIP mode classifies
/// whole messages). Credits go back to the backend only as the session passes the bytes on to
/// connmgr under the client's credits (<see cref="Release"/>), so a client that stops reading
/// holds the backend back instead of piling up here; a message larger than the window gets its
/// credits back while it is assembled (it cannot complete otherwise). Client messages go out
/// under the credits connmgr grants, split into packets with <c>more</c>.
/// </remarks>
internal sealed class RawWsBackend : IWsBackend
{
    private const int ReceiveWindow = 200_000;
    private const int MaxPacketBody = 65_536;
    private const int MaxMessage = 64 * 1024 * 1024;

    private readonly WsProxy _host;
    private readonly WsProxySession _session;
    private readonly RouteTarget _target;
    private readonly Queue<Outgoing> _out = new();
    private int _outOffset;
    private int _buffered;
    private State _state = State.Connecting;
    private string? _id;
    private string? _address;
    private int _outSeq;
    private int _inSeq;
    private int _credits;
    private bool _closeSent;
    private bool _peerClosed;
    private int? _peerCode;
    private string _peerReason = string.Empty;
    private ArrayBufferWriter<byte>? _partial;
    private WsMessageKind _partialKind;
    private int _partialOwed;
    private long _lastSentMs;
    private long _lastReceivedMs;

    public RawWsBackend(WsProxy host, WsProxySession session, RouteTarget target)
    {
        _host = host;
        _session = session;
        _target = target;
    }

    public int BufferedContent => _buffered;

    public bool Finished => _state == State.Finished;

    public void Start()
    {
        _id = Guid.NewGuid().ToString("N");
        _host.RegisterOutbound(_id, this);
        var headers = new List<HttpHeader>(_session.Headers.Count + 1);
        foreach (var h in _session.Headers)
        {
            if (!h.Is("Sec-WebSocket-Extensions"))
            {
                headers.Add(h);
            }
        }
        if (_session.Route.Grip)
        {
            // Offer GRIP: a backend that answers with it gets GRIP mode (behavior.md §7.2).
            headers.Add(new HttpHeader("Sec-WebSocket-Extensions", "grip"));
        }
        _lastSentMs = _lastReceivedMs = _host.NowMs;
        _host.Requester.SendInitial(new ZhttpPacket
        {
            From = _host.Options.InstanceId,
            Id = _id,
            Seq = _outSeq++,
            Method = "GET",
            Uri = _session.Uri.ToString(),
            Headers = headers,
            Credits = ReceiveWindow,
            RouterResp = true,
            ConnectHost = _target.ConnectHost,
            ConnectPort = _target.ConnectPort,
            IgnorePolicies = _target.Trusted,
            TrustConnectHost = _target.TrustConnectHost,
            IgnoreTlsErrors = _target.Insecure,
            PeerAddress = _session.PeerAddress,
        });
    }

    public void Write(WsMessageKind kind, byte[] content)
    {
        if (_state != State.Connected || _closeSent)
        {
            return;
        }
        _out.Enqueue(new Outgoing(kind, content, null, null));
        _buffered += content.Length;
        Flush();
    }

    public void Close(int? code, string? reason)
    {
        if (_state != State.Connected || _closeSent)
        {
            return;
        }
        _closeSent = true;
        _out.Enqueue(new Outgoing(null, Encoding.UTF8.GetBytes(reason ?? string.Empty), code, true));
        Flush();
    }

    public void Disconnect()
    {
        if (_state == State.Finished)
        {
            return;
        }
        if (_address is not null)
        {
            Send(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        }
        Finish();
    }

    public void Refresh()
    {
        // Nothing to poll on a raw WebSocket.
    }

    public void OnTick(long nowMs)
    {
        if (_state == State.Finished || _address is null)
        {
            return;
        }
        if (nowMs - _lastReceivedMs > 120_000)
        {
            Finish();
            _session.OnBackendError("backend session expired");
            return;
        }
        if (nowMs - _lastSentMs >= 45_000)
        {
            Send(new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });
        }
    }

    public void OnPacket(ZhttpPacket p)
    {
        if (_state == State.Finished)
        {
            return;
        }
        if (p.Seq >= 0 && p.Seq != _inSeq && p.Type is not (ZhttpPacketType.Cancel or ZhttpPacketType.Error))
        {
            Disconnect();
            Failed("bad seq from connmgr");
            return;
        }
        _inSeq = p.Seq >= 0 ? p.Seq + 1 : _inSeq + 1;
        _lastReceivedMs = _host.NowMs;
        if (p.From is not null)
        {
            _address = p.From;
        }
        if (p.Credits > 0)
        {
            _credits += p.Credits;
        }
        switch (p.Type)
        {
            case ZhttpPacketType.Error:
            case ZhttpPacketType.Cancel:
                OnError(p);
                return;
            case ZhttpPacketType.Data:
                OnData(p);
                break;
            case ZhttpPacketType.Ping:
            case ZhttpPacketType.Pong:
                _session.OnBackendMessage(p.Type == ZhttpPacketType.Ping ? WsMessageKind.Ping : WsMessageKind.Pong, p.Body.ToArray(), p.Body.Length);
                break;
            case ZhttpPacketType.Close:
                _peerClosed = true;
                _peerCode = p.Code >= 0 ? p.Code : null;
                _peerReason = Encoding.UTF8.GetString(p.Body.Span);
                if (_closeSent)
                {
                    Finish();
                    _session.OnBackendClosed(_peerCode, _peerReason);
                    return;
                }
                _session.OnBackendPeerClosed(_peerCode, _peerReason);
                return;
        }
        Flush();
    }

    private void OnData(ZhttpPacket p)
    {
        if (_state == State.Connecting)
        {
            if (p.Code != 101)
            {
                return;
            }
            _state = State.Connected;
            _session.OnBackendConnected(p.Reason ?? "Switching Protocols", p.Headers ?? []);
            return;
        }
        if (_partial is null)
        {
            _partial = new ArrayBufferWriter<byte>(Math.Max(p.Body.Length, 256));
            _partialKind = p.ContentType == "binary" ? WsMessageKind.Binary : WsMessageKind.Text;
        }
        if (_partial.WrittenCount + p.Body.Length > MaxMessage)
        {
            Disconnect();
            Failed("backend message too large");
            return;
        }
        _partial.Write(p.Body.Span);
        _partialOwed += p.Body.Length;
        if (p.More && _partial.WrittenCount >= ReceiveWindow)
        {
            // The backend cannot finish this message within the window: let it go on.
            Release(_partialOwed);
            _partialOwed = 0;
        }
        if (!p.More)
        {
            var message = _partial.WrittenSpan.ToArray();
            var owed = _partialOwed;
            _partial = null;
            _partialOwed = 0;
            _session.OnBackendMessage(_partialKind, message, owed);
        }
    }

    public void Release(int n)
    {
        if (n > 0 && _state == State.Connected && _address is not null)
        {
            Send(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = n });
        }
    }

    private void OnError(ZhttpPacket p)
    {
        var wasConnecting = _state == State.Connecting;
        Finish();
        if (!wasConnecting)
        {
            _session.OnBackendError(p.Type == ZhttpPacketType.Cancel ? "cancel" : p.Condition ?? "error");
            return;
        }
        switch (p.Condition)
        {
            case "rejected":
                var headers = new List<HttpHeader>(p.Headers ?? []);
                headers.RemoveAll(h => h.Is("Content-Length") || h.Is("Transfer-Encoding") || h.Is("Connection") || h.Is("Keep-Alive"));
                _session.OnBackendRejected(p.Code >= 0 ? p.Code : 502, p.Reason ?? string.Empty, headers, p.Body.ToArray());
                return;
            case "remote-connection-failed":
            case "connection-timeout":
            case "tls-error":
                _session.OnBackendConnectFailed(true, p.Condition);
                return;
            default:
                _session.OnBackendConnectFailed(false, p.Type == ZhttpPacketType.Cancel ? "cancel" : p.Condition ?? "error");
                return;
        }
    }

    private void Flush()
    {
        while (_out.Count > 0 && _state == State.Connected && _address is not null)
        {
            var m = _out.Peek();
            if (m.Kind is null)
            {
                _out.Dequeue();
                Send(new ZhttpPacket { Type = ZhttpPacketType.Close, Code = m.CloseCode ?? -1, Body = m.Content });
                if (_peerClosed)
                {
                    // Both closes exchanged.
                    Finish();
                    _session.OnBackendClosed(_peerCode, _peerReason);
                }
                return;
            }
            if (m.Kind is WsMessageKind.Ping or WsMessageKind.Pong)
            {
                if (_credits < m.Content.Length)
                {
                    return;
                }
                _out.Dequeue();
                _credits -= m.Content.Length;
                _buffered -= m.Content.Length;
                Send(new ZhttpPacket { Type = m.Kind == WsMessageKind.Ping ? ZhttpPacketType.Ping : ZhttpPacketType.Pong, Body = m.Content });
                continue;
            }
            var remaining = m.Content.Length - _outOffset;
            if (remaining > 0 && _credits <= 0)
            {
                return;
            }
            var n = Math.Min(Math.Min(remaining, _credits), MaxPacketBody);
            var last = n == remaining;
            Send(new ZhttpPacket { ContentType = m.Kind == WsMessageKind.Binary ? "binary" : null, Body = m.Content.AsMemory(_outOffset, n), More = !last });
            _credits -= n;
            _buffered -= n;
            _outOffset += n;
            if (last)
            {
                _out.Dequeue();
                _outOffset = 0;
            }
        }
        _session.OnBackendWritten();
    }

    private void Send(ZhttpPacket p)
    {
        p.From = _host.Options.InstanceId;
        p.Id = _id;
        p.Seq = _outSeq++;
        _lastSentMs = _host.NowMs;
        _host.Requester.SendToRouter(_address!, p);
    }

    private void Failed(string why) => _session.OnBackendError(why);

    private void Finish()
    {
        if (_state == State.Finished)
        {
            return;
        }
        _state = State.Finished;
        if (_id is not null)
        {
            _host.UnregisterOutbound(_id);
        }
        _host.Sweep(this);
    }

    private sealed record Outgoing(WsMessageKind? Kind, byte[] Content, int? CloseCode, bool? IsClose);

    private enum State
    {
        Connecting,
        Connected,
        Finished,
    }
}
