using System.Buffers;
using System.Text;
using Pushpin.Common.Http;
using Pushpin.Common.WsControl;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.WebSockets;

/// <summary>
/// One client WebSocket: the zhttp session with connmgr's server side (we respond), its
/// backend (<see cref="IWsBackend"/>), and GRIP mode with its ws-control session.
/// </summary>
/// <remarks>
/// Credits: the client may send what we granted in the 101 (200,000) plus what we return; we
/// return bytes as soon as the backend's buffer has room, so a message larger than the window
/// still flows (bounded by <see cref="MaxMessage"/>). Toward the client we send under the credits
/// connmgr grants (what it wrote to the client socket), a message split into packets with
/// <c>more</c>, and only then are the backend's credits for it returned.
/// </remarks>
internal sealed partial class WsProxySession
{
    /// <summary>Largest client message assembled for the backend (larger: close 1009).</summary>
    public const int MaxMessage = 16 * 1024 * 1024;

    private const int ClientWindow = 200_000;
    private const int MaxPacketBody = 65_536;
    private static readonly long KeepAliveMs = 45_000;
    private static readonly long ExpiryMs = 120_000;

    private readonly WsProxy _host;
    private readonly Queue<ClientMessage> _toClient = new();
    private int _toClientOffset;
    private ArrayBufferWriter<byte>? _partial;
    private WsMessageKind _partialKind;
    private int _owedCredits;
    private Queue<RouteTarget> _targets = new();

    public WsProxySession(WsProxy host, ZhttpPacket p)
    {
        _host = host;
        RequesterId = p.From!;
        Id = p.Id!;
        RouterResp = p.RouterResp;
        InSeq = 1;
        OutCredits = Math.Max(p.Credits, 0);
        UserData = p.UserData;
        PeerAddress = p.PeerAddress;
        LastInboundMs = host.NowMs;
        Cid = Guid.NewGuid().ToString();
    }

    public string RequesterId { get; }

    public string Id { get; }

    /// <summary>Connection id: the WOH <c>Connection-Id</c> and the ws-control cid.</summary>
    public string Cid { get; }

    public bool RouterResp { get; }

    public int InSeq { get; private set; }

    public int OutSeq { get; set; }

    public int OutCredits { get; private set; }

    public object? UserData { get; private set; }

    public string? PeerAddress { get; }

    public long LastInboundMs { get; private set; }

    public long LastSentInboundMs { get; set; }

    public WsSessionState State { get; private set; } = WsSessionState.Connecting;

    public IWsBackend? Backend { get; private set; }

    public Route Route { get; private set; } = null!;

    public RouteTarget? Target { get; private set; }

    public RequestUri OrigUri { get; private set; } = null!;

    public List<HttpHeader> OrigHeaders { get; private set; } = [];

    public bool Trusted { get; private set; }

    /// <summary>The forwarded URI (route rewrites applied; the backend sets its scheme).</summary>
    public RequestUri Uri { get; private set; } = null!;

    /// <summary>Client handshake headers with the route's header rules applied.</summary>
    public List<HttpHeader> Headers { get; private set; } = [];

    public bool Https { get; private set; }

    public bool Debug { get; private set; }

    private bool _clientCloseReceived;
    private bool _clientCloseQueued;
    private bool _clientCloseSent;

    // ------------------------------------------------------------------ start and targets

    public void Start(ZhttpPacket p)
    {
        if (!RequestUri.TryParse(p.Uri!, out var uri) || p.Method is null)
        {
            SendInbound(new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "bad-request" });
            Finish();
            return;
        }
        OrigHeaders = p.Headers ?? [];
        Https = uri!.Scheme == "wss";
        if (_host.Options.AcceptXForwardedProtocol && IsXForwardedTls(OrigHeaders))
        {
            Https = true;
            uri = uri with { Scheme = "wss" };
        }
        OrigUri = uri;
        Trusted = RequestHeaderRules.IsTrustedClient(OrigHeaders, _host.Options.UpstreamKey, _host.Time.GetUtcNow());
        var route = _host.FindRoute(OrigHeaders, uri, Https);
        Debug = _host.Options.Debug || (route?.Debug ?? false);
        if (route is null)
        {
            Reject(502, "Bad Gateway", "Route not found");
            return;
        }
        Route = route;
        var fwd = uri;
        if (route.AsHost.Length > 0)
        {
            fwd = fwd.WithHost(route.AsHost);
        }
        var path = fwd.Path;
        if (route.PathRemove > 0)
        {
            path = route.PathRemove < path.Length ? path[route.PathRemove..] : string.Empty;
        }
        Uri = fwd with { Path = route.PathPrepend + path };
        Headers = [.. OrigHeaders];
        RequestHeaderRules.Apply(Headers, route, _host.Options, Trusted, PeerAddress, Uri.Scheme, _host.Time.GetUtcNow());
        _targets = new Queue<RouteTarget>(route.Targets);
        TryNextTarget();
    }

    private static bool IsXForwardedTls(List<HttpHeader> headers)
    {
        foreach (var h in headers)
        {
            if ((h.Is("X-Forwarded-Proto") || h.Is("X-Forwarded-Protocol")) && h.Value.Trim() is "https" or "wss")
            {
                return true;
            }
        }
        return false;
    }

    private void TryNextTarget()
    {
        while (_targets.Count > 0)
        {
            var target = _targets.Dequeue();
            if (target.Kind is not (RouteTargetKind.Default or RouteTargetKind.Test))
            {
                LogDebug(target + " cannot carry WebSockets, skipping it");
                continue;
            }
            Target = target;
            var uri = Uri with { Scheme = target.Ssl ? "wss" : "ws" };
            if (target.Host.Length > 0)
            {
                uri = uri.WithHost(target.Host);
            }
            if (target.Kind == RouteTargetKind.Test)
            {
                uri = WithoutPathBeg(uri);
            }
            Uri = uri;
            RequestHeaderRules.ApplyHost(Headers, uri);
            Backend = CreateBackend(target);
            _host.AddBackend(Backend);
            Backend.Start();
            return;
        }
        var tried = string.Join(", ", Route.Targets.Select(t => t.ToString()));
        Reject(502, "Bad Gateway", Debug ? "Unable to connect to any targets. Tried: " + tried : "Error while proxying to origin.");
    }

    private IWsBackend CreateBackend(RouteTarget target) => target switch
    {
        { Kind: RouteTargetKind.Test } => new TestWsBackend(_host, this),
        { OverHttp: true } => new WohBackend(_host, this, target),
        _ => CreateRawBackend(target),
    };

    /// <summary>The test target sees the path relative to path_beg, keeping its leading slash (as for HTTP).</summary>
    private RequestUri WithoutPathBeg(RequestUri uri)
    {
        var pathBeg = Route.PathBeg;
        var remove = pathBeg.EndsWith('/') ? pathBeg.Length - 1 : pathBeg.Length;
        return remove > 0 ? uri with { Path = remove < uri.Path.Length ? uri.Path[remove..] : string.Empty } : uri;
    }

    /// <summary>Answers the handshake with an HTTP response instead of a 101.</summary>
    private void Reject(int code, string reason, string message)
    {
        SendInbound(new ZhttpPacket
        {
            Type = ZhttpPacketType.Error,
            Condition = "rejected",
            Code = code,
            Reason = reason,
            Headers = [new("Content-Type", "text/plain")],
            Body = Encoding.UTF8.GetBytes(message + "\n"),
        });
        LogRequest(code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Finish();
    }

    // ------------------------------------------------------------------ backend events

    /// <summary>The backend accepted: answer the client with 101 and start GRIP mode if asked.</summary>
    public void OnBackendConnected(string reason, List<HttpHeader> headers)
    {
        if (State != WsSessionState.Connecting)
        {
            return;
        }
        State = WsSessionState.Connected;
        var extensions = new List<string>();
        var outHeaders = new List<HttpHeader>(headers.Count);
        foreach (var h in headers)
        {
            if (h.Is("Sec-WebSocket-Extensions"))
            {
                extensions.Add(h.Value);
                continue;
            }
            outHeaders.Add(h);
        }
        var grip = GripMessagePrefix.FromExtensions(extensions);
        if (grip is not null && Route.Grip && !Trusted)
        {
            Prefix = grip;
        }
        SendInbound(new ZhttpPacket { Code = 101, Reason = reason.Length > 0 ? reason : "Switching Protocols", Headers = outHeaders, Credits = ClientWindow });
        LogRequest("101");
        if ((Prefix is not null || Target!.Subscriptions.Count > 0) && _host.HasControl)
        {
            StartControl();
        }
    }

    /// <summary>The backend refused the handshake: relay its response.</summary>
    public void OnBackendRejected(int code, string reason, List<HttpHeader> headers, byte[] body)
    {
        if (State != WsSessionState.Connecting)
        {
            return;
        }
        SendInbound(new ZhttpPacket
        {
            Type = ZhttpPacketType.Error,
            Condition = "rejected",
            Code = code,
            Reason = reason.Length > 0 ? reason : StatusReasons.Get(code),
            Headers = headers,
            Body = body,
        });
        LogRequest(code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Finish();
    }

    /// <summary>Connecting failed: connect-type errors fail over to the next target, others give 502.</summary>
    public void OnBackendConnectFailed(bool tryNext, string condition)
    {
        if (State != WsSessionState.Connecting)
        {
            return;
        }
        LogDebug("target " + Target + " failed: " + condition);
        Backend = null;
        if (tryNext)
        {
            TryNextTarget();
            return;
        }
        Reject(502, "Bad Gateway", "Error while proxying to origin.");
    }

    /// <summary>
    /// A message from the backend: classified in GRIP mode, else straight to the client.
    /// <paramref name="credits"/> go back to the backend as the message leaves toward the client.
    /// </summary>
    public void OnBackendMessage(WsMessageKind kind, byte[] content, int credits = 0)
    {
        if (State == WsSessionState.Done || Detached)
        {
            return;
        }
        if (Prefix is not null && kind is WsMessageKind.Text or WsMessageKind.Binary)
        {
            switch (Prefix.Classify(content, kind == WsMessageKind.Text, out var body))
            {
                case GripMessageKind.Control:
                    Backend?.Release(credits);
                    SendGripMessage(body.ToArray());
                    return;
                case GripMessageKind.Dropped:
                    Backend?.Release(credits);
                    LogDebug("dropping unprefixed message");
                    return;
                default:
                    content = body.ToArray();
                    break;
            }
        }
        if (_clientCloseQueued || State != WsSessionState.Connected)
        {
            Backend?.Release(credits);
            return;
        }
        QueueToClient(new ClientMessage(kind, content) { Credits = credits });
    }

    /// <summary>The backend started closing (its CLOSE): pass the close on to the client.</summary>
    public void OnBackendPeerClosed(int? code, string reason)
    {
        if (State == WsSessionState.Done || Detached)
        {
            return;
        }
        QueueClientClose(code, reason);
    }

    /// <summary>The close handshake with the backend is complete.</summary>
    public void OnBackendClosed(int? code, string reason)
    {
        if (State == WsSessionState.Done || Detached)
        {
            return;
        }
        QueueClientClose(code, reason);
        TryFinishClosed();
    }

    /// <summary>The backend failed after the handshake: the client connection is dropped (as upstream).</summary>
    public void OnBackendError(string why)
    {
        if (State == WsSessionState.Done || Detached)
        {
            return;
        }
        LogDebug("backend error: " + why);
        SendInbound(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        Finish();
    }

    /// <summary>The backend took buffered content: the client may send more.</summary>
    public void OnBackendWritten() => ReturnCredits();

    // ------------------------------------------------------------------ client packets

    /// <summary>A packet from connmgr's server side; <paramref name="seq"/> is this session's (a multi-id packet carries one per session).</summary>
    public void OnClientPacket(ZhttpPacket p, int seq)
    {
        if (seq >= 0 && seq != InSeq && p.Type is not (ZhttpPacketType.Cancel or ZhttpPacketType.Error))
        {
            LogDebug("bad seq from client side; ending");
            SendInbound(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
            ClientGone();
            return;
        }
        InSeq = seq >= 0 ? seq + 1 : InSeq + 1;
        LastInboundMs = _host.NowMs;
        if (p.UserData is not null)
        {
            UserData = p.UserData;
        }
        if (p.Credits > 0)
        {
            OutCredits += p.Credits;
        }
        switch (p.Type)
        {
            case ZhttpPacketType.Cancel:
            case ZhttpPacketType.Error:
                ClientGone();
                return;
            case ZhttpPacketType.Data:
                OnClientData(p);
                break;
            case ZhttpPacketType.Ping:
                OnClientControl(WsMessageKind.Ping, p.Body);
                break;
            case ZhttpPacketType.Pong:
                OnClientControl(WsMessageKind.Pong, p.Body);
                break;
            case ZhttpPacketType.Close:
                OnClientClose(p.Code >= 0 ? p.Code : null, Encoding.UTF8.GetString(p.Body.Span));
                return;
        }
        FlushToClient();
    }

    private void OnClientData(ZhttpPacket p)
    {
        if (State != WsSessionState.Connected)
        {
            return;
        }
        _owedCredits += p.Body.Length;
        if (Detached || _clientCloseReceived)
        {
            // After detach, client messages are discarded (behavior.md §7.4).
            ReturnCredits();
            return;
        }
        if (_partial is null)
        {
            _partial = new ArrayBufferWriter<byte>(Math.Max(p.Body.Length, 256));
            _partialKind = p.ContentType == "binary" ? WsMessageKind.Binary : WsMessageKind.Text;
        }
        if (_partial.WrittenCount + p.Body.Length > MaxMessage)
        {
            _partial = null;
            QueueClientClose(1009, "message too big");
            return;
        }
        _partial.Write(p.Body.Span);
        if (!p.More)
        {
            var message = _partial.WrittenSpan.ToArray();
            _partial = null;
            Backend?.Write(_partialKind, message);
        }
        ReturnCredits();
    }

    private void OnClientControl(WsMessageKind kind, ReadOnlyMemory<byte> body)
    {
        _owedCredits += body.Length;
        if (State == WsSessionState.Connected && !Detached && !_clientCloseReceived)
        {
            Backend?.Write(kind, body.ToArray());
        }
        ReturnCredits();
    }

    private void OnClientClose(int? code, string reason)
    {
        _clientCloseReceived = true;
        if (State != WsSessionState.Connected)
        {
            Finish();
            return;
        }
        if (_clientCloseQueued || Detached)
        {
            // The client answered our close (pass the answer on to a backend that closed
            // first), or nobody is behind us: echo and end.
            if (!Detached && Backend is not null && !Backend.Finished)
            {
                Backend.Close(code, reason);
            }
            QueueClientClose(code, reason);
            TryFinishClosed();
            return;
        }
        Backend?.Close(code, reason);
    }

    /// <summary>Returns credits for received client content while the backend has room.</summary>
    private void ReturnCredits()
    {
        if (_owedCredits <= 0 || State == WsSessionState.Done)
        {
            return;
        }
        if (Backend is not null && Backend.BufferedContent >= WebSocketOverHttpRules.BufferSize)
        {
            return;
        }
        var n = _owedCredits;
        _owedCredits = 0;
        SendInbound(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = n });
    }

    private void ClientGone()
    {
        if (State == WsSessionState.Done)
        {
            return;
        }
        LogDebug("client gone");
        Backend?.Disconnect();
        Finish();
    }

    // ------------------------------------------------------------------ toward the client

    private void QueueToClient(ClientMessage m)
    {
        if (_clientCloseQueued || State != WsSessionState.Connected)
        {
            return;
        }
        _toClient.Enqueue(m);
        FlushToClient();
    }

    private void QueueClientClose(int? code, string reason)
    {
        if (_clientCloseQueued || State != WsSessionState.Connected)
        {
            return;
        }
        _clientCloseQueued = true;
        _toClient.Enqueue(new ClientMessage(null, Encoding.UTF8.GetBytes(reason)) { CloseCode = code });
        FlushToClient();
    }

    private void FlushToClient()
    {
        while (_toClient.Count > 0 && State == WsSessionState.Connected)
        {
            var m = _toClient.Peek();
            if (m.Kind is null)
            {
                _toClient.Dequeue();
                SendInbound(new ZhttpPacket { Type = ZhttpPacketType.Close, Code = m.CloseCode ?? -1, Body = m.Content });
                _clientCloseSent = true;
                TryFinishClosed();
                return;
            }
            if (m.Kind is WsMessageKind.Ping or WsMessageKind.Pong)
            {
                if (OutCredits < m.Content.Length)
                {
                    return;
                }
                _toClient.Dequeue();
                OutCredits -= m.Content.Length;
                SendInbound(new ZhttpPacket { Type = m.Kind == WsMessageKind.Ping ? ZhttpPacketType.Ping : ZhttpPacketType.Pong, Body = m.Content });
                ReleaseToBackend(m, m.Content.Length, last: true);
                AckSend(m.AckReqId);
                MarkClientActivity();
                continue;
            }
            var remaining = m.Content.Length - _toClientOffset;
            if (remaining > 0 && OutCredits <= 0)
            {
                return;
            }
            var n = Math.Min(Math.Min(remaining, OutCredits), MaxPacketBody);
            var last = n == remaining;
            SendInbound(new ZhttpPacket
            {
                ContentType = m.Kind == WsMessageKind.Binary ? "binary" : null,
                Body = m.Content.AsMemory(_toClientOffset, n),
                More = !last,
            });
            OutCredits -= n;
            _toClientOffset += n;
            ReleaseToBackend(m, n, last);
            MarkClientActivity();
            if (last)
            {
                _toClient.Dequeue();
                _toClientOffset = 0;
                AckSend(m.AckReqId);
            }
        }
    }

    // The backend's credits for a message go back as its bytes go out (all of them with the
    // last packet: a stripped prefix counts too).
    private void ReleaseToBackend(ClientMessage m, int sent, bool last)
    {
        var n = last ? m.Credits : Math.Min(sent, m.Credits);
        if (n > 0)
        {
            m.Credits -= n;
            Backend?.Release(n);
        }
    }

    private void TryFinishClosed()
    {
        if (_clientCloseReceived && _clientCloseSent)
        {
            LogDebug("closed");
            Finish();
        }
    }

    private void SendInbound(ZhttpPacket p) => _host.SendInbound(this, p);

    // ------------------------------------------------------------------ housekeeping

    public void OnTick(long now)
    {
        if (State == WsSessionState.Done)
        {
            return;
        }
        if (now - LastInboundMs > ExpiryMs)
        {
            LogDebug("client session expired");
            ClientGone();
            return;
        }
        if (now - LastSentInboundMs >= KeepAliveMs)
        {
            SendInbound(new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });
        }
        OnControlTick(now);
    }

    /// <summary>Ends the session on our side; the backend finishes on its own (or was told to disconnect).</summary>
    private void Finish()
    {
        if (State == WsSessionState.Done)
        {
            return;
        }
        var wasConnected = State == WsSessionState.Connected;
        State = WsSessionState.Done;
        if (wasConnected && Backend is not null && !Backend.Finished && !Detached && !_clientCloseReceived)
        {
            Backend.Disconnect();
        }
        StopControl();
        _host.Remove(this);
    }

    private void LogRequest(string status)
    {
        var sb = new StringBuilder();
        sb.Append("GET ").Append(OrigUri);
        if (Target is not null)
        {
            sb.Append(" -> ").Append(Target);
        }
        if (Route?.ExplicitId == true)
        {
            sb.Append(" route=").Append(Route.Id);
        }
        sb.Append(" code=").Append(status);
        WsProxy.LogLine(_host.Logger, sb.ToString());
    }

    private void LogDebug(string what) => WsProxy.LogDebug(_host.Logger, Cid, what);

    private sealed record ClientMessage(WsMessageKind? Kind, byte[] Content)
    {
        public int? CloseCode { get; init; }

        /// <summary>Backend credits still to return for this message.</summary>
        public int Credits { get; set; }

        /// <summary>A ws-control send's request id: acked once the message is written.</summary>
        public string? AckReqId { get; init; }
    }
}

/// <summary>Where a client WebSocket is in its life.</summary>
internal enum WsSessionState
{
    /// <summary>Waiting for the backend to accept.</summary>
    Connecting,

    /// <summary>101 sent; messages flow.</summary>
    Connected,

    Done,
}
