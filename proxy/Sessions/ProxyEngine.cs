using Pushpin.Common.Http;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Stats;
using Pushpin.Common.Zhttp;
using Pushpin.Common.Transport;
using Pushpin.Common.Zrpc;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;
using Pushpin.Proxy.WebSockets;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// The proxy core: takes client requests from connmgr (zhttp responder), forwards them to the
/// route's targets through connmgr's client mode (zhttp requester), relays plain responses
/// under both sides' credits, and hands GRIP responses to the handler (handoff + zrpc accept).
/// </summary>
/// <remarks>
/// All session state lives on one loop task fed by a channel (packets from both socket sets,
/// accept results, a keep-alive tick), so sessions need no locks; the sockets stay on their
/// own poller threads and are reached only through their thread-safe send queues.
/// </remarks>
public sealed partial class ProxyEngine : IAsyncDisposable
{
    private const int InboundRequestCredits = 200_000;
    private const int MaxPacketBody = 65_536;
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan SessionExpiry = TimeSpan.FromSeconds(120);

    private readonly ProxyOptions _options;
    private readonly RoutesProvider _routes;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<(string, string), ProxySession> _inbound = [];
    private readonly Dictionary<string, ProxySession> _outbound = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private ZhttpResponder? _responder;
    // Serves the handler's own outbound requests (intreq); null when not configured.
    private ZhttpResponder? _intreq;
    private ZhttpRequester? _requester;
    // Requesters bound for zhttp/ route targets, by base spec (created on the loop).
    private readonly Dictionary<string, ZhttpRequester?> _custom = new(StringComparer.Ordinal);
    private ZrpcClient? _accept;
    private WsProxy? _ws;
    private readonly List<Task> _tasks = [];

    public ProxyEngine(ProxyOptions options, RoutesProvider routes, ILogger logger, TimeProvider? time = null)
    {
        _options = options;
        _routes = routes;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Stats sink (activity, requests-received, conn per client session, reports); null = no stats.
    /// Set before <see cref="Start"/>; it is thread-safe, the loop feeds it.
    /// </summary>
    public StatsAggregator? Stats { get; set; }

    /// <summary>Number of live sessions (for tests and stats).</summary>
    public int SessionCount { get; private set; }

    /// <summary>Opens the sockets and starts the loop.</summary>
    public void Start()
    {
        _responder = new ZhttpResponder(_options.InstanceId, new ZhttpEndpoints(_options.ConnmgrInSpecs, _options.ConnmgrInStreamSpecs, _options.ConnmgrOutSpecs, Bind: false), _logger);
        _requester = new ZhttpRequester(_options.InstanceId, new ZhttpEndpoints(_options.ConnmgrClientOutSpecs, _options.ConnmgrClientOutStreamSpecs, _options.ConnmgrClientInSpecs, Bind: false), _logger);
        _accept = new ZrpcClient(_options.InstanceId, [_options.HandlerAcceptSpec], bind: true, _logger, "[proxy] handler_accept_spec");
        _ws = new WsProxy(_options, _routes, _responder, _requester, e => _events.Writer.TryWrite(e), _logger, _time);
        // Straight from the poller threads into the loop's channel: one thread hop less per packet.
        _responder.OnReceived = p => _events.Writer.TryWrite(new InboundPacket(p, Internal: false));
        _requester.OnReceived = p => _events.Writer.TryWrite(new OutboundPacket(p));
        _responder.Start();
        _requester.Start();
        _accept.Start();
        if (_options.HandlerInspectSpec is not null)
        {
            _inspect = new ZrpcClient(_options.InstanceId, [_options.HandlerInspectSpec], bind: true, _logger, "[proxy] handler_inspect_spec");
            _inspect.Start();
        }
        _ws.Start();
        var ct = _stop.Token;
        StartInternalSockets(ct);
        StartRetrySocket(ct);
        _tasks.Add(Task.Run(() => TickAsync(ct), ct));
        _routes.Changed += _ => _events.Writer.TryWrite(RoutesChanged.Instance);
        _events.Writer.TryWrite(RoutesChanged.Instance);
        _tasks.Add(Task.Run(() => RunAsync(ct), ct));
    }

    private Task Pump(ChannelReader<ZhttpPacket> reader, Func<ZhttpPacket, object> wrap, CancellationToken ct) => Task.Run(async () =>
    {
        try
        {
            await foreach (var p in reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                _events.Writer.TryWrite(wrap(p));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }, ct);

    private async Task TickAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                _events.Writer.TryWrite(Tick.Instance);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var e in _events.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    switch (e)
                    {
                        case InboundPacket p:
                            OnInbound(p.Packet, p.Internal);
                            break;
                        case OutboundPacket p:
                            OnOutbound(p.Packet);
                            break;
                        case RetryPacket r:
                            OnRetry(r);
                            break;
                        case InspectDone i:
                            OnInspectDone(i.Session, i.Response);
                            break;
                        case AcceptDone a:
                            OnAcceptDone(a.Session, a.Response);
                            break;
                        case Tick:
                            OnTick();
                            break;
                        case RoutesChanged:
                            OpenCustomTargets();
                            break;
                        case WsProxyEvent w:
                            _ws!.Handle(w);
                            break;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug in one session must not take the proxy down.
                    LogSessionFailure(_logger, ex);
                }
                SessionCount = _inbound.Count;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Runs the keep-alive/expiry sweep now (tests drive time by hand).</summary>
    internal void TickNow() => _events.Writer.TryWrite(Tick.Instance);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_tasks.ToArray()).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Best effort.
        }
        _ws?.Dispose();
        _responder?.Dispose();
        _intreq?.Dispose();
        _retry?.Dispose();
        _requester?.Dispose();
        foreach (var r in _custom.Values)
        {
            r?.Dispose();
        }
        foreach (var r in _reqTargets.Values)
        {
            r?.Dispose();
        }
        _accept?.Dispose();
        _inspect?.Dispose();
        _stop.Dispose();
    }

    // ------------------------------------------------------------------ inbound (from connmgr)

    private void OnInbound(ZhttpPacket p, bool isInternal)
    {
        if (p.From is null || _ws!.TryHandleInbound(p))
        {
            return;
        }
        if (p.Ids is not null)
        {
            foreach (var r in p.Ids)
            {
                if (_inbound.TryGetValue((p.From, r.Id), out var ms))
                {
                    // Keep-alives, cancels and batched credits: each session handles its share.
                    OnInboundSession(p, ms, r.Seq);
                }
            }
            return;
        }
        if (p.Id is null)
        {
            return;
        }
        if (!_inbound.TryGetValue((p.From, p.Id), out var s))
        {
            if (p.Type == ZhttpPacketType.Data && p.Seq <= 0)
            {
                StartSession(p, isInternal);
            }
            return;
        }
        OnInboundSession(p, s, p.Seq);
    }

    /// <summary>A packet from connmgr for session <paramref name="s"/>, whose seq in it is <paramref name="seq"/>.</summary>
    private void OnInboundSession(ZhttpPacket p, ProxySession s, int seq)
    {
        if (seq >= 0 && seq != s.InSeq && p.Type is not (ZhttpPacketType.Cancel or ZhttpPacketType.Error))
        {
            // Lost or reordered packets make the session's state unknowable: end it (as upstream).
            LogBadSeq(_logger, s.Id, s.InSeq, seq);
            SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
            Abort(s);
            return;
        }
        s.InSeq = seq >= 0 ? seq + 1 : s.InSeq + 1;
        s.LastInbound = _time.GetUtcNow().UtcDateTime;
        if (p.UserData is not null)
        {
            s.UserData = p.UserData;
        }
        switch (p.Type)
        {
            case ZhttpPacketType.Cancel:
            case ZhttpPacketType.Error:
                Abort(s);
                return;
            case ZhttpPacketType.HandoffProceed:
                if (s.State == SessionState.HandoffStarting)
                {
                    StartAccept(s);
                }
                return;
            case ZhttpPacketType.Credit:
                break;
            case ZhttpPacketType.Data:
                if (s.State is SessionState.HandoffStarting or SessionState.Accepting)
                {
                    return;
                }
                if (p.Credits > 0)
                {
                    s.OutCredits += p.Credits;
                }
                AppendRequestBody(s, p.Body, !p.More);
                break;
            default:
                return;
        }
        if (p.Type == ZhttpPacketType.Credit && p.Credits > 0)
        {
            s.OutCredits += p.Credits;
        }
        if (s.State is SessionState.Responding or SessionState.RespondingLocal)
        {
            FlushResponse(s);
        }
    }

    /// <param name="retry">A session the handler hands back to be re-run (its zhttp state continues).</param>
    private void StartSession(ZhttpPacket p, bool isInternal, RetryRequest? retry = null, RetryPacket? retryPacket = null)
    {
        var s = new ProxySession(p.From!, p.Id!)
        {
            Responder = isInternal ? _intreq! : _responder!,
            Internal = isInternal,
            IsRetry = retry is not null,
            Inspect = retryPacket?.Inspect,
            RouterResp = p.RouterResp,
            InSeq = retry?.InSeq ?? 1,
            OutSeq = retry?.OutSeq ?? 0,
            OutCredits = Math.Max(p.Credits, 0),
            UserData = p.UserData,
            PeerAddress = p.PeerAddress,
            LastInbound = _time.GetUtcNow().UtcDateTime,
        };
        _inbound[(s.RequesterId, s.Id)] = s;

        if (p.Uri is null || !RequestUri.TryParse(p.Uri, out var uri) || p.Method is null)
        {
            SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "bad-request" });
            Remove(s);
            return;
        }
        if (uri!.Scheme is "ws" or "wss")
        {
            // WebSocket proxying is not part of this proxy yet: refuse the handshake cleanly.
            var body = Encoding.UTF8.GetBytes("WebSocket proxying is not supported.\n");
            SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "rejected", Code = 502, Reason = "Bad Gateway", Headers = [new("Content-Type", "text/plain")], Body = body });
            Remove(s);
            return;
        }

        s.Method = p.Method;
        s.OrigHeaders = p.Headers ?? [];
        s.Https = uri.Scheme == "https";
        if (_options.AcceptXForwardedProtocol && IsXForwardedTls(s.OrigHeaders))
        {
            s.Https = true;
            uri = uri with { Scheme = "https" };
        }
        s.OrigUri = uri;
        var passthrough = isInternal ? p.Passthrough as Dictionary<string, object?> ?? [] : null;
        s.Trusted = RequestHeaderRules.IsTrustedClient(s.OrigHeaders, _options.UpstreamKey, _time.GetUtcNow());
        s.LogicalPeerAddress = RequestHeaderRules.LogicalPeerAddress(s.OrigHeaders, s.Trusted ? _options.XffTrusted : _options.XffUntrusted, s.PeerAddress);

        // Ack at once so connmgr learns our address; grant body credits if a body follows. A
        // retried session is taken over as after a handoff: a keep-alive asking for multi.
        if (retry is not null)
        {
            SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.KeepAlive, Multi = true });
        }
        else if (p.More)
        {
            SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = InboundRequestCredits });
        }
        else
        {
            SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });
        }

        var table = _routes.Current;
        Route? route = null;
        if (retryPacket is not null)
        {
            route = !string.IsNullOrEmpty(retryPacket.RouteId) ? table.FindById(retryPacket.RouteId, uri.Path) : table.Match(RouteProtocol.Http, s.Https, uri.Host, uri.Path);
        }
        else if (passthrough is not null)
        {
            route = PassthroughRoute(table, passthrough, uri);
            s.AutoShare = PassthroughBool(passthrough, "auto-share");
        }
        else
        {
            var routeId = _options.AcceptPushpinRoute ? s.OrigHeaders.FirstOrDefault(h => h.Is("Pushpin-Route")).Value : null;
            route = !string.IsNullOrEmpty(routeId) ? table.FindById(routeId, uri.Path) : table.Match(RouteProtocol.Http, s.Https, uri.Host, uri.Path);
        }
        // Internal requests do not take the proxy-wide debug setting (as upstream).
        s.Debug = (!isInternal && _options.Debug) || (route?.Debug ?? false) || (retry?.Debug ?? false);
        s.AutoCrossOrigin = retry?.AutoCrossOrigin ?? ((!isInternal && _options.AutoCrossOrigin) || (route?.AutoCrossOrigin ?? false));
        if (retry is not null)
        {
            s.JsonpCallback = retry.JsonpCallback;
            s.JsonpExtended = retry.JsonpExtendedResponse;
        }
        else if (s.AutoCrossOrigin)
        {
            var jsonp = JsonpRequest.TryCreate(route?.Jsonp ?? new JsonpConfig(), s.Method, uri, s.OrigHeaders, out var jsonpError);
            if (jsonpError is not null)
            {
                AppendRequestBody(s, p.Body, !p.More, forward: false);
                RespondLocal(s, OriginResponse.Error(400, "Bad Request", jsonpError));
                return;
            }
            if (jsonp is not null)
            {
                s.Method = jsonp.Method;
                s.OrigUri = uri = jsonp.Uri;
                s.OrigHeaders = jsonp.Headers;
                p.Body = jsonp.Body;
                s.JsonpCallback = jsonp.Callback;
                s.JsonpExtended = jsonp.Extended;
            }
        }
        if (Stats is not null && !isInternal)
        {
            if (retry is null)
            {
                // A retry acts for a request already counted.
                Stats.AddRequestsReceived(1);
            }
            Stats.AddActivity(route?.StatsRoute);
            Stats.AddConnection(StatsConnectionId(s), route?.StatsRoute, StatsConnectionType.Http, s.LogicalPeerAddress ?? s.PeerAddress, s.Https);
            s.StatsTracked = true;
        }
        if (route is null)
        {
            AppendRequestBody(s, p.Body, !p.More, forward: false);
            RespondLocal(s, OriginResponse.Error(502, "Bad Gateway", "Route not found"));
            return;
        }
        s.Route = route;

        // Rewrite the URI as the route asks (as_host, path_rem, replace_beg).
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
        if (route.PathPrepend.Length > 0)
        {
            path = route.PathPrepend + path;
        }
        s.Uri = fwd with { Path = path };
        s.RemainingTargets = new Queue<RouteTarget>(route.Targets);
        AppendRequestBody(s, p.Body, !p.More, forward: false);
        s.FirstBody = p.Body;
        if (retry is null && _inspect is not null)
        {
            StartInspect(s);
            return;
        }
        StartForwarding(s);
    }

    /// <summary>Rewrites the headers (with inspect's session data, if any) and tries the first target.</summary>
    private void StartForwarding(ProxySession s)
    {
        s.State = SessionState.Requesting;
        s.Headers = [.. s.OrigHeaders];
        RequestHeaderRules.Apply(s.Headers, s.Route, _options, s.Trusted, s.PeerAddress, s.Uri.Scheme, _time.GetUtcNow(), s.Internal, s.Inspect?.Sid, s.Inspect?.LastIds);
        TryNextTarget(s);
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

    private void AppendRequestBody(ProxySession s, ReadOnlyMemory<byte> body, bool last, bool forward = true)
    {
        if (body.Length > 0)
        {
            if (!s.RequestBodyTooLarge && s.RequestBodyCopy.Length + body.Length <= GripDetection.MaxAcceptRequestBody)
            {
                s.RequestBodyCopy.Write(body.Span);
            }
            else
            {
                s.RequestBodyTooLarge = true;
            }
        }
        if (last)
        {
            s.RequestFinished = true;
        }
        if (!forward)
        {
            return;
        }
        if (s.Target?.Kind == RouteTargetKind.Test)
        {
            // The test target consumes the body itself; keep the client's credits flowing.
            if (body.Length > 0 && !s.RequestFinished)
            {
                SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = body.Length });
            }
            if (s.State == SessionState.Requesting && (s.RequestFinished || s.RequestBodyTooLarge))
            {
                RunTestTarget(s);
            }
            return;
        }
        if (s.State == SessionState.WaitingForRequestEnd && s.NoProxy)
        {
            if (body.Length > 0 && !s.RequestFinished)
            {
                SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = body.Length });
            }
            CheckNoProxyBody(s);
            return;
        }
        if (s.State == SessionState.WaitingForRequestEnd && s.RequestFinished)
        {
            StartHandoff(s);
            return;
        }
        if (s.State == SessionState.Inspecting)
        {
            // Held until the first target is chosen; the ack's credits bound how much arrives.
            s.PendingRequestBody.Enqueue(body);
            return;
        }
        if (s.ReqClient is not null && !s.RequestBodySent)
        {
            OnReqTargetBody(s, body);
            return;
        }
        if (s.OutboundId is null || s.RequestBodySent)
        {
            // Nobody to forward to (error response in progress): still let the client finish.
            if (body.Length > 0 && !s.RequestFinished)
            {
                SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = body.Length });
            }
            return;
        }
        s.PendingRequestBody.Enqueue(body);
        FlushRequestBody(s);
    }

    // ------------------------------------------------------------------ outbound (to targets)

    private void TryNextTarget(ProxySession s)
    {
        CancelOutbound(s);
        s.ReqClient = null;
        if (s.RemainingTargets.Count == 0)
        {
            var tried = string.Join(", ", s.Route.Targets.Select(t => t.ToString()));
            RejectShared(s, 502, "Bad Gateway", "Error while proxying to origin.", "Unable to connect to any targets. Tried: " + tried);
            return;
        }
        if (s.RequestBodyTooLarge && s.Target is not null)
        {
            // The body already streamed past what we kept: it cannot be replayed to another target.
            RejectShared(s, 502, "Bad Gateway", "Error while proxying to origin.", "Unable to retry with a body larger than 100000 bytes.");
            return;
        }
        var failover = s.Target is not null;
        var target = s.RemainingTargets.Dequeue();
        s.Target = target;
        var uri = s.Uri with { Scheme = target.Ssl ? "https" : "http" };
        if (target.Host.Length > 0)
        {
            uri = uri.WithHost(target.Host);
        }

        if (target.Kind == RouteTargetKind.Test)
        {
            // The test target sees the path relative to path_beg (keeping its leading slash).
            var pathBeg = s.Route.PathBeg;
            if (pathBeg.Length > 0)
            {
                var remove = pathBeg.EndsWith('/') ? pathBeg.Length - 1 : pathBeg.Length;
                if (remove > 0)
                {
                    uri = uri with { Path = remove < uri.Path.Length ? uri.Path[remove..] : string.Empty };
                }
            }
            s.Uri = uri;
            RequestHeaderRules.ApplyHost(s.Headers, uri);
            if (s.RequestFinished || s.RequestBodyTooLarge)
            {
                RunTestTarget(s);
            }
            return;
        }
        var requester = _requester!;
        if (target.Kind == RouteTargetKind.Custom)
        {
            if (target.ZhttpReq)
            {
                StartReqTarget(s, target, uri);
                return;
            }
            if (!_custom.TryGetValue(target.ZhttpSpec, out var custom) || custom is null)
            {
                LogCustomTargetUnsupported(_logger, target.ToString());
                TryNextTarget(s);
                return;
            }
            requester = custom;
        }

        s.Uri = uri;
        RequestHeaderRules.ApplyHost(s.Headers, uri);
        s.Requester = requester;
        s.OutboundId = Guid.NewGuid().ToString("N");
        s.TargetAddress = null;
        s.TargetOutSeq = 0;
        s.TargetInSeq = 0;
        s.TargetCredits = 0;
        s.RequestBodySent = false;
        if (s.Shared is { } group)
        {
            group.BodyReceived = 0;
            group.CreditsGranted = 0;
        }
        if (failover)
        {
            // The kept copy is replayed in the first packet instead.
            s.PendingRequestBody.Clear();
        }
        _outbound[s.OutboundId] = s;

        // The first target gets the first packet's body here and what arrived since (queued while
        // inspect was pending) from PendingRequestBody; a failover replays the kept copy instead.
        // Taking the copy for the first target too would send the queued body twice.
        var initialBody = failover ? s.RequestBodyCopy.ToArray() : s.FirstBody;
        s.FirstBody = ReadOnlyMemory<byte>.Empty;
        var packet = new ZhttpPacket
        {
            From = _options.InstanceId,
            Id = s.OutboundId,
            Seq = s.TargetOutSeq++,
            Method = s.Method,
            Uri = uri.ToString(),
            Headers = s.Headers,
            Body = initialBody,
            More = !(s.RequestFinished && s.PendingRequestBody.Count == 0),
            Stream = true,
            Credits = _options.OutboundCredits,
            RouterResp = true,
            ConnectHost = target.Kind == RouteTargetKind.Default ? target.ConnectHost : null,
            ConnectPort = target.Kind == RouteTargetKind.Default ? target.ConnectPort : -1,
            IgnorePolicies = target.Kind == RouteTargetKind.Default && target.Trusted,
            TrustConnectHost = target.TrustConnectHost,
            IgnoreTlsErrors = target.Insecure,
            PeerAddress = s.PeerAddress,
        };
        s.RequestBodySent = s.RequestFinished && s.PendingRequestBody.Count == 0;
        s.LastSentOutbound = _time.GetUtcNow().UtcDateTime;
        s.Requester.SendInitial(packet);
    }

    private void SendOutbound(ProxySession s, ZhttpPacket packet)
    {
        packet.From = _options.InstanceId;
        packet.Id = s.OutboundId;
        packet.Seq = s.TargetOutSeq++;
        s.LastSentOutbound = _time.GetUtcNow().UtcDateTime;
        s.Requester.SendToRouter(s.TargetAddress!, packet);
    }

    private void FlushRequestBody(ProxySession s)
    {
        if (s.OutboundId is null || s.TargetAddress is null || s.RequestBodySent)
        {
            return;
        }
        while (s.PendingRequestBody.Count > 0 && s.TargetCredits > 0)
        {
            var chunk = s.PendingRequestBody.Take(Math.Min(s.TargetCredits, MaxPacketBody));
            var n = chunk.Length;
            s.TargetCredits -= n;
            var last = s.RequestFinished && s.PendingRequestBody.Count == 0;
            SendOutbound(s, new ZhttpPacket { Body = chunk, More = !last });
            if (last)
            {
                s.RequestBodySent = true;
            }
            else
            {
                // Room freed in our buffer: let the client send as much again.
                SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = n });
            }
        }
        if (!s.RequestBodySent && s.RequestFinished && s.PendingRequestBody.Count == 0)
        {
            s.RequestBodySent = true;
            SendOutbound(s, new ZhttpPacket());
        }
    }

    private void OnOutbound(ZhttpPacket p)
    {
        if (_ws!.TryHandleOutbound(p))
        {
            return;
        }
        if (p.Id is null || !_outbound.TryGetValue(p.Id, out var s))
        {
            return;
        }
        if (p.Seq >= 0 && p.Seq != s.TargetInSeq && p.Type is not (ZhttpPacketType.Cancel or ZhttpPacketType.Error))
        {
            LogBadSeq(_logger, p.Id, s.TargetInSeq, p.Seq);
            OnTargetError(s, "bad-seq");
            return;
        }
        s.TargetInSeq = p.Seq >= 0 ? p.Seq + 1 : s.TargetInSeq + 1;
        if (p.From is not null)
        {
            s.TargetAddress = p.From;
        }
        if (p.Credits > 0)
        {
            s.TargetCredits += p.Credits;
        }
        switch (p.Type)
        {
            case ZhttpPacketType.Error:
            case ZhttpPacketType.Cancel:
                OnTargetError(s, p.Type == ZhttpPacketType.Cancel ? "cancel" : p.Condition ?? "undefined-condition");
                return;
            case ZhttpPacketType.Data:
                OnTargetData(s, p);
                break;
            case ZhttpPacketType.KeepAlive:
            case ZhttpPacketType.Credit:
                break;
            default:
                return;
        }
        if (_outbound.ContainsKey(p.Id))
        {
            FlushRequestBody(s);
        }
    }

    private void OnTargetData(ProxySession s, ZhttpPacket p)
    {
        if (s.Shared is not { } group || !ReferenceEquals(group.Owner, s))
        {
            HandleTargetData(s, p);
            return;
        }
        if (group.OwnerGone && !p.More)
        {
            // The last packet: a follower finishing on it must not cancel a complete request.
            s.TargetFinished = true;
        }
        // Every member takes the packet before credits are counted, so the slowest one decides.
        group.Distributing = true;
        ShareTargetData(group, p);
        if (!group.OwnerGone)
        {
            HandleTargetData(s, p);
        }
        else if (!p.More)
        {
            // Only the followers wanted this response, and it is complete.
            EndOwnerless(group);
        }
        group.Distributing = false;
        GrantSharedCredits(group);
    }

    private void HandleTargetData(ProxySession s, ZhttpPacket p)
    {
        if (s.State == SessionState.Requesting)
        {
            if (p.Code < 0)
            {
                return;
            }
            s.ResponseCode = p.Code;
            s.ResponseReason = p.Reason ?? string.Empty;
            s.ResponseHeaders = p.Headers ?? [];
            if (!p.More)
            {
                s.TargetFinished = true;
            }
            OnResponseStart(s, p.Body);
            return;
        }
        if (!p.More)
        {
            s.TargetFinished = true;
        }
        OnResponseBody(s, p.Body);
    }

    private void RunTestTarget(ProxySession s)
    {
        var r = TestTarget.Respond(s.Uri, s.RequestBodyTooLarge || s.RequestBodyCopy.Length > TestTarget.MaxRequestBody);
        // As if the target had sent it, so that requests sharing this one get it too.
        OnTargetData(s, new ZhttpPacket { Code = r.Code, Reason = r.Reason, Headers = r.Headers, Body = r.Body });
    }

    private void OnResponseStart(ProxySession s, ReadOnlyMemory<byte> body)
    {
        // Trusted clients, no_grip routes and the handler's own requests get GRIP responses raw.
        var grip = s.Route.Grip && !s.Trusted && !s.Internal && GripDetection.IsInstruct(s.ResponseHeaders);
        if (grip)
        {
            if (s.RequestBodyTooLarge)
            {
                Reject(s, 400, "Bad Request", "Request too large to accept GRIP instruct.", "Request too large to accept GRIP instruct.");
                return;
            }
            s.State = SessionState.BufferingInstruct;
            OnResponseBody(s, body);
            return;
        }
        foreach (var name in (string[])["Connection", "Keep-Alive", "Content-Encoding", "Transfer-Encoding"])
        {
            RequestHeaderRules.RemoveAll(s.ResponseHeaders, name);
        }
        DecorateResponse(s);
        s.State = SessionState.Responding;
        OnResponseBody(s, body);
    }

    private void OnResponseBody(ProxySession s, ReadOnlyMemory<byte> body)
    {
        if (s.State == SessionState.BufferingInstruct)
        {
            if (s.InstructBody.Length + body.Length > GripDetection.MaxInstructBody)
            {
                if (GripDetection.CanProxyInitialResponse(s.ResponseHeaders))
                {
                    StartInitialResponse(s, body);
                    return;
                }
                Reject(s, 502, "Bad Gateway", "Error while proxying to origin.", "GRIP instruct response too large from " + s.Target);
                return;
            }
            s.InstructBody.Write(body.Span);
            if (s.TargetFinished)
            {
                DetachOutbound(s);
                if (s.RequestFinished)
                {
                    StartHandoff(s);
                }
                else
                {
                    s.State = SessionState.WaitingForRequestEnd;
                }
            }
            return;
        }
        if (s.State != SessionState.Responding)
        {
            return;
        }
        EnqueueClientBody(s, body);
        FlushResponse(s);
    }

    /// <summary>
    /// A stream hold whose initial body is too large to hand over: send the initial response
    /// ourselves (doing the handler's header work) and hand the session over once it is sent.
    /// </summary>
    private void StartInitialResponse(ProxySession s, ReadOnlyMemory<byte> body)
    {
        s.AcceptResponseCode = s.ResponseCode;
        s.AcceptResponseReason = s.ResponseReason;
        s.AcceptResponseHeaders = [.. s.ResponseHeaders];
        var headers = s.ResponseHeaders;
        RequestHeaderRules.RemoveAll(headers, "Content-Length");
        var status = headers.FirstOrDefault(h => h.Is("Grip-Status")).Value;
        if (!string.IsNullOrEmpty(status))
        {
            var space = status.IndexOf(' ', StringComparison.Ordinal);
            var codeText = space == -1 ? status : status[..space];
            if (!int.TryParse(codeText, NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code > 999)
            {
                Reject(s, 500, "Internal Server Error", "Accept service unavailable.", "Accept service unavailable.");
                return;
            }
            s.ResponseCode = code;
            s.ResponseReason = space == -1 || space + 1 == status.Length ? StatusReasons.Get(code) : status[(space + 1)..];
        }
        headers.RemoveAll(h => h.Name.StartsWith("Grip-", StringComparison.OrdinalIgnoreCase));
        if (s.AutoCrossOrigin)
        {
            CorsHeaders.Apply<HttpHeader, HttpHeaderShape>(s.OrigHeaders, headers);
        }
        s.AcceptAfterResponding = true;
        s.State = SessionState.Responding;
        s.PendingResponseBody.Enqueue(s.InstructBody.ToArray());
        s.InstructBody.SetLength(0);
        s.PendingResponseBody.Enqueue(body);
        FlushResponse(s);
    }

    private void OnTargetError(ProxySession s, string condition)
    {
        LogTargetError(_logger, s.Target?.ToString() ?? "?", condition);
        if (IsSharingOwner(s) && ShareTargetError(s, condition, s.State == SessionState.Requesting && IsRetryable(condition)))
        {
            return;
        }
        if (s.State == SessionState.Requesting)
        {
            if (IsRetryable(condition))
            {
                TryNextTarget(s);
                return;
            }
            switch (condition)
            {
                case "policy-violation":
                    Reject(s, 502, "Bad Gateway", "Error while proxying to origin.", "Error: Origin host/IP blocked.");
                    return;
                case "length-required":
                    Reject(s, 411, "Length Required", "Must provide Content-Length header.", "Must provide Content-Length header.");
                    return;
                case "service-unavailable":
                    Reject(s, 502, "Bad Gateway", "Error while proxying to origin.", "Error: zhttp service for route is unreachable.");
                    return;
                default:
                    Reject(s, 502, "Bad Gateway", "Error while proxying to origin.", "Error while proxying to origin.");
                    return;
            }
        }
        Reject(s, 502, "Bad Gateway", "Error while proxying to origin.", "Error while proxying to origin.");
    }

    /// <summary>Conditions where the next target of the route is tried.</summary>
    private static bool IsRetryable(string condition) => condition is "remote-connection-failed" or "connection-timeout" or "tls-error";

    /// <summary>This session is done with its backend request: cancel it, unless clients sharing it still need it.</summary>
    private void DetachOutbound(ProxySession s)
    {
        if (s.OutboundId is null || KeepForFollowers(s))
        {
            return;
        }
        CancelOutbound(s);
    }

    private void CancelOutbound(ProxySession s)
    {
        if (s.OutboundId is null)
        {
            return;
        }
        _outbound.Remove(s.OutboundId);
        if (!s.TargetFinished && s.TargetAddress is not null)
        {
            SendOutbound(s, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        }
        s.OutboundId = null;
        s.TargetAddress = null;
    }

    // ------------------------------------------------------------------ responding to the client

    private void SendInbound(ProxySession s, ZhttpPacket packet)
    {
        packet.From = _options.InstanceId;
        packet.Id = s.Id;
        packet.Seq = s.OutSeq++;
        if (s.UserData is not null)
        {
            packet.UserData = s.UserData;
        }
        s.LastSentInbound = _time.GetUtcNow().UtcDateTime;
        s.Responder.Send(s.RequesterId, packet, s.RouterResp);
    }

    /// <summary>Sends queued response body as connmgr's credits allow, returning freed room to the target.</summary>
    private void FlushResponse(ProxySession s)
    {
        if (s.Jsonp is not null && s.TargetFinished && !s.JsonpEnded)
        {
            // Everything from the target is queued: close the JSON-P wrapper.
            s.JsonpEnded = true;
            s.PendingResponseBody.Enqueue(s.Jsonp.End());
        }
        if (!s.ResponseHeaderSent)
        {
            var first = new ZhttpPacket { Code = s.ResponseCode, Reason = s.ResponseReason, Headers = s.ResponseHeaders };
            TakeResponseChunk(s, first);
            s.ResponseHeaderSent = true;
            SendResponsePacket(s, first);
            if (s.State == SessionState.Done)
            {
                return;
            }
        }
        while (s.PendingResponseBody.Count > 0 && s.OutCredits > 0)
        {
            var packet = new ZhttpPacket();
            TakeResponseChunk(s, packet);
            SendResponsePacket(s, packet);
            if (s.State == SessionState.Done)
            {
                return;
            }
        }
        if (s.PendingResponseBody.Count == 0 && s.TargetFinished && !s.ResponseComplete)
        {
            if (s.AcceptAfterResponding)
            {
                // The initial response is out: now the handler takes the stream over.
                DetachOutbound(s);
                if (s.RequestFinished)
                {
                    StartHandoff(s);
                }
                else
                {
                    s.State = SessionState.WaitingForRequestEnd;
                }
                return;
            }
            SendResponsePacket(s, new ZhttpPacket());
        }
    }

    private static void TakeResponseChunk(ProxySession s, ZhttpPacket packet)
    {
        if (s.PendingResponseBody.Count > 0 && s.OutCredits > 0)
        {
            packet.Body = s.PendingResponseBody.Take(Math.Min(s.OutCredits, MaxPacketBody));
            s.OutCredits -= packet.Body.Length;
        }
        packet.More = s.AcceptAfterResponding || !(s.TargetFinished && s.PendingResponseBody.Count == 0);
    }

    /// <summary>CORS headers, or the JSON-P wrapper's status, headers and opening, on a response about to start.</summary>
    private static void DecorateResponse(ProxySession s)
    {
        if (s.JsonpCallback is not null)
        {
            s.Jsonp = new JsonpEncoder(s.JsonpCallback, s.JsonpExtended);
            s.PendingResponseBody.Enqueue(s.Jsonp.Start(s.ResponseCode, s.ResponseReason, s.ResponseHeaders, out var outer));
            s.ResponseCode = 200;
            s.ResponseReason = "OK";
            s.ResponseHeaders = outer;
        }
        else if (s.AutoCrossOrigin)
        {
            CorsHeaders.Apply<HttpHeader, HttpHeaderShape>(s.OrigHeaders, s.ResponseHeaders);
        }
    }

    private static void EnqueueClientBody(ProxySession s, ReadOnlyMemory<byte> body)
    {
        if (body.Length == 0)
        {
            return;
        }
        s.PendingResponseBody.Enqueue(s.Jsonp is null ? body : s.Jsonp.Body(body.Span));
    }

    private void SendResponsePacket(ProxySession s, ZhttpPacket packet)
    {
        var n = packet.Body.Length;
        s.ResponseBodySize += n;
        SendInbound(s, packet);
        if (!packet.More)
        {
            s.ResponseComplete = true;
            Finish(s);
            return;
        }
        if (n == 0)
        {
            return;
        }
        if (s.Shared is { } group)
        {
            GrantSharedCredits(group);
        }
        else if (s.OutboundId is not null && !s.TargetFinished && s.TargetAddress is not null)
        {
            SendOutbound(s, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = n });
        }
    }

    /// <summary>Answers the client with a response made here (errors, accept results).</summary>
    private void RespondLocal(ProxySession s, OriginResponse response)
    {
        DetachOutbound(s);
        s.State = SessionState.RespondingLocal;
        s.ResponseCode = response.Code;
        s.ResponseReason = response.Reason;
        s.ResponseHeaders = response.Headers;
        s.TargetFinished = true;
        s.PendingResponseBody.Clear();
        DecorateResponse(s);
        EnqueueClientBody(s, response.Body);
        FlushResponse(s);
    }

    /// <summary>An error: a plain response if none started yet, else (debug) a note appended or an unclean end.</summary>
    private void Reject(ProxySession s, int code, string reason, string message, string debugMessage)
    {
        if (!s.ResponseHeaderSent)
        {
            RespondLocal(s, OriginResponse.Error(code, reason, s.Debug ? debugMessage : message));
            return;
        }
        DetachOutbound(s);
        if (s.Debug)
        {
            s.TargetFinished = true;
            var note = Encoding.UTF8.GetBytes("\n\n" + debugMessage + "\n");
            s.PendingResponseBody.Enqueue(note);
            FlushResponse(s);
            return;
        }
        SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        LogRequest(s, "error");
        Remove(s);
    }

    // ------------------------------------------------------------------ GRIP handoff

    private void StartHandoff(ProxySession s)
    {
        s.State = SessionState.HandoffStarting;
        SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.HandoffStart });
    }

    private void StartAccept(ProxySession s)
    {
        s.State = SessionState.Accepting;
        s.AcceptAfterResponding = false;
        var args = AcceptArgs.Build(s, _options);
        var client = _accept!;
        var timeout = _options.AcceptTimeout;
        _ = Task.Run(async () =>
        {
            ZrpcResponse response;
            try
            {
                response = await client.CallAsync("accept", args, timeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                response = ZrpcResponse.Fail(null, "service-unavailable", e.Message);
            }
            _events.Writer.TryWrite(new AcceptDone(s, response));
        });
    }

    private void OnAcceptDone(ProxySession s, ZrpcResponse response)
    {
        if (!_inbound.TryGetValue((s.RequesterId, s.Id), out var live) || !ReferenceEquals(live, s) || s.State != SessionState.Accepting)
        {
            return;
        }
        if (response.Success && response.Value is Dictionary<string, object?> value)
        {
            if (value.TryGetValue("accepted", out var accepted) && accepted is true)
            {
                // The handler owns the client session now; leave without a cancel. Its conn
                // (same id) takes over ours, so ours lingers instead of going unavailable.
                LogRequest(s, "accept");
                s.HandedOff = true;
                Remove(s);
                return;
            }
            if (value.TryGetValue("response", out var r) && r is Dictionary<string, object?> resp && TryReadResponse(resp, out var local))
            {
                Resume(s);
                RespondLocal(s, local!);
                return;
            }
        }
        Resume(s);
        if (s.ResponseHeaderSent)
        {
            // The initial response already went out: only a debug note, or an unclean end.
            LogAcceptFailed(_logger, s.Id, response.Condition ?? "no acceptance");
            Reject(s, 500, "Internal Server Error", "Accept service unavailable.", "Accept service unavailable");
            return;
        }
        if (!response.Success && response.Condition == "bad-format" && response.Value is byte[] or string)
        {
            var msg = response.Value is byte[] b ? Encoding.UTF8.GetString(b) : (string)response.Value!;
            RespondLocal(s, OriginResponse.Error(502, "Bad Gateway", s.Debug ? msg : "Error while proxying to origin."));
            return;
        }
        LogAcceptFailed(_logger, s.Id, response.Condition ?? "no acceptance");
        RespondLocal(s, OriginResponse.Error(500, "Internal Server Error", "Accept service unavailable."));
    }

    /// <summary>Takes the session back after a failed handoff: a keep-alive tells connmgr we are its responder again.</summary>
    private void Resume(ProxySession s) => SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });

    private static bool TryReadResponse(Dictionary<string, object?> d, out OriginResponse? response)
    {
        response = null;
        var code = d.TryGetValue("code", out var c) ? c switch { long l => (int)l, int i => i, _ => -1 } : 200;
        if (code < 0)
        {
            return false;
        }
        var reason = d.TryGetValue("reason", out var r) ? AsLatin1(r) ?? string.Empty : string.Empty;
        var headers = new List<HttpHeader>();
        if (d.TryGetValue("headers", out var h) && h is List<object?> list)
        {
            foreach (var item in list)
            {
                if (item is List<object?> { Count: 2 } pair && AsLatin1(pair[0]) is { } name && AsLatin1(pair[1]) is { } val)
                {
                    headers.Add(new HttpHeader(name, val));
                }
                else
                {
                    return false;
                }
            }
        }
        var body = d.TryGetValue("body", out var b) ? b switch { byte[] bytes => bytes, string str => Encoding.UTF8.GetBytes(str), _ => [] } : [];
        if (reason.Length == 0)
        {
            reason = code == 200 ? "OK" : string.Empty;
        }
        response = new OriginResponse(code, reason, headers, body);
        return true;
    }

    private static string? AsLatin1(object? v) => v switch
    {
        byte[] b => Encoding.Latin1.GetString(b),
        string s => s,
        _ => null,
    };

    // ------------------------------------------------------------------ housekeeping

    private void OnTick()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var s in _inbound.Values.ToList())
        {
            if (now - s.LastInbound > SessionExpiry)
            {
                Abort(s);
                continue;
            }
            if (s.State is not (SessionState.HandoffStarting or SessionState.Accepting) && now - s.LastSentInbound >= KeepAliveInterval)
            {
                SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });
            }
            if (s.ReqClient is not null && s.State == SessionState.Requesting && s.RequestBodySent && now - s.LastSentOutbound > SessionExpiry)
            {
                // Req mode has no keep-alives: a responder that never answers is unreachable.
                OnTargetError(s, "service-unavailable");
                continue;
            }
            if (s.OutboundId is not null && s.TargetAddress is not null && !s.TargetFinished && now - s.LastSentOutbound >= KeepAliveInterval)
            {
                SendOutbound(s, new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });
            }
        }
        KeepOwnerlessAlive(now);
    }

    private void Abort(ProxySession s)
    {
        DetachOutbound(s);
        LogRequest(s, "error");
        Remove(s);
    }

    private void Finish(ProxySession s)
    {
        DetachOutbound(s);
        LogRequest(s, null);
        Remove(s);
    }

    private void Remove(ProxySession s)
    {
        s.State = SessionState.Done;
        LeaveSharing(s);
        if (_inbound.Remove((s.RequesterId, s.Id)) && s.StatsTracked)
        {
            Stats?.RemoveConnection(StatsConnectionId(s), linger: s.HandedOff);
        }
        if (s.OutboundId is not null && s.Shared is not { OwnerGone: true })
        {
            _outbound.Remove(s.OutboundId);
        }
    }

    /// <summary>The stats connection id: <c>&lt;from&gt;:&lt;id&gt;</c>, the same the handler uses after a handoff.</summary>
    private static string StatsConnectionId(ProxySession s) => s.RequesterId + ":" + s.Id;

    private void LogRequest(ProxySession s, string? status)
    {
        // Skip building the line when info is off (log_level 1, as in benchmarks): once per request.
        if (s.OrigUri is null || !_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }
        var sb = new StringBuilder();
        sb.Append(s.Method).Append(' ').Append(s.OrigUri);
        if (s.Target is not null)
        {
            sb.Append(" -> ").Append(s.Target);
        }
        if (_options.LogFrom && s.LogicalPeerAddress is not null)
        {
            sb.Append(" from=").Append(s.LogicalPeerAddress);
        }
        if (s.Route?.ExplicitId == true)
        {
            sb.Append(" route=").Append(s.Route.Id);
        }
        if (status is null)
        {
            sb.Append(" code=").Append(s.ResponseCode.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(s.ResponseBodySize.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            sb.Append(' ').Append(status);
        }
        if (s.IsRetry)
        {
            sb.Append(" retry");
        }
        if (_options.LogUserAgent && s.OrigHeaders.FirstOrDefault(h => h.Is("User-Agent")).Value is { } ua)
        {
            sb.Append(" ua=").Append(ua);
        }
        LogRequestLine(_logger, sb.ToString());
    }

    private sealed record InboundPacket(ZhttpPacket Packet, bool Internal);

    private sealed record OutboundPacket(ZhttpPacket Packet);

    private sealed record AcceptDone(ProxySession Session, ZrpcResponse Response);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed class RoutesChanged
    {
        public static readonly RoutesChanged Instance = new();
    }

    /// <summary>
    /// Binds requester sockets for every <c>zhttp/</c> target in the current routes, so an
    /// external zhttp responder can connect before the first request (upstream binds them at load).
    /// </summary>
    private void OpenCustomTargets()
    {
        foreach (var route in _routes.Current.Routes)
        {
            foreach (var t in route.Targets)
            {
                if (t.Kind == RouteTargetKind.Custom && t.ZhttpReq && !_reqTargets.ContainsKey(t.ZhttpSpec))
                {
                    OpenReqTarget(t);
                }
                if (t.Kind != RouteTargetKind.Custom || t.ZhttpReq || _custom.ContainsKey(t.ZhttpSpec))
                {
                    continue;
                }
                ZhttpRequester? requester = null;
                try
                {
                    if (!t.ZhttpSpec.StartsWith("tcp://", StringComparison.Ordinal))
                    {
                        throw new ArgumentException("only tcp:// bases are supported (NetMQ has no Unix sockets); use tcp://127.0.0.1:PORT");
                    }
                    requester = new ZhttpRequester(_options.InstanceId, ZhttpEndpoints.FromBase(t.ZhttpSpec, bind: true), _logger);
                    requester.Start();
                    _tasks.Add(Pump(requester.Incoming, p => new OutboundPacket(p), _stop.Token));
                }
                catch (Exception e) when (e is ArgumentException or SocketBindException or FormatException or NetMQ.NetMQException)
                {
                    requester?.Dispose();
                    requester = null;
                    LogCustomTargetFailed(_logger, t.ToString(), e.Message);
                }
                _custom[t.ZhttpSpec] = requester;
            }
        }
    }

    [LoggerMessage(2006, LogLevel.Warning, "session {Id}: expected seq {Expected}, got {Seq}; ending it")]
    private static partial void LogBadSeq(ILogger logger, string id, int expected, int seq);

    [LoggerMessage(2001, LogLevel.Information, "{Line}")]
    private static partial void LogRequestLine(ILogger logger, string line);

    [LoggerMessage(2002, LogLevel.Error, "proxy session failed")]
    private static partial void LogSessionFailure(ILogger logger, Exception exception);

    [LoggerMessage(2003, LogLevel.Debug, "target {Target} failed: {Condition}")]
    private static partial void LogTargetError(ILogger logger, string target, string condition);

    [LoggerMessage(2004, LogLevel.Warning, "accept for session {Id} failed: {Condition}")]
    private static partial void LogAcceptFailed(ILogger logger, string id, string condition);

    [LoggerMessage(2005, LogLevel.Warning, "target {Target} is not available (zhttpreq/ targets are not supported; zhttp/ targets need a tcp base), skipping it")]
    private static partial void LogCustomTargetUnsupported(ILogger logger, string target);

    [LoggerMessage(2007, LogLevel.Error, "cannot open zhttp target {Target}: {Reason}")]
    private static partial void LogCustomTargetFailed(ILogger logger, string target, string reason);
}
