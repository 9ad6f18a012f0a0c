using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Common.WsControl;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.WebSockets;

/// <summary>
/// Every client WebSocket of the proxy (behavior.md §7): the sessions, their backends
/// (WebSocket-over-HTTP or raw), and the ws-control link to the handler (internals.md §6).
/// </summary>
/// <remarks>
/// Runs on the <see cref="Sessions.ProxyEngine"/> loop: the engine hands it ws:// sessions,
/// their packets, the outbound packets of its requests, and the events it posts for itself
/// (ws-control packets, a 250 ms tick), so nothing here needs a lock.
/// </remarks>
internal sealed partial class WsProxy : IDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);

    private readonly Dictionary<(string From, string Id), WsProxySession> _sessions = [];
    private readonly Dictionary<string, IWsBackend> _outbound = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WsProxySession> _byCid = new(StringComparer.Ordinal);
    private readonly HashSet<IWsBackend> _backends = [];
    private readonly List<IWsBackend> _scratch = [];
    private readonly Action<object> _post;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private WsControlTransport? _control;

    public WsProxy(ProxyOptions options, RoutesProvider routes, ZhttpResponder responder, ZhttpRequester requester, Action<object> post, ILogger logger, TimeProvider time)
    {
        Options = options;
        Routes = routes;
        Responder = responder;
        Requester = requester;
        _post = post;
        Logger = logger;
        Time = time;
    }

    public ProxyOptions Options { get; }

    public RoutesProvider Routes { get; }

    public ZhttpResponder Responder { get; }

    public ZhttpRequester Requester { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public int SessionCount => _sessions.Count;

    /// <summary>Opens the ws-control sockets (when configured) and starts the tick.</summary>
    public void Start()
    {
        if (Options.WsControlInitSpecs.Count > 0 && Options.WsControlStreamSpecs.Count > 0)
        {
            _control = new WsControlTransport(Options.InstanceId, Options.WsControlInitSpecs, Options.WsControlStreamSpecs, proxySide: true, Logger);
            _control.Start();
            var reader = _control.Incoming;
            _tasks.Add(Task.Run(async () =>
            {
                try
                {
                    await foreach (var p in reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
                    {
                        _post(new ControlPacketEvent(p));
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            }));
        }
        _tasks.Add(Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TickInterval, Time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    _post(TickEvent.Instance);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }));
    }

    /// <summary>True when the ws-control link to the handler exists.</summary>
    public bool HasControl => _control is not null;

    /// <summary>Handles an event this class posted to the engine loop.</summary>
    public void Handle(WsProxyEvent e)
    {
        switch (e)
        {
            case ControlPacketEvent c:
                OnControlPacket(c.Packet);
                break;
            case TickEvent:
                OnTick();
                break;
        }
    }

    // ------------------------------------------------------------------ engine hooks

    /// <summary>
    /// Takes a packet from connmgr's server side if it belongs to a WebSocket session (a new
    /// ws:// request or a known session). Multi-id packets are applied and left to the engine too.
    /// </summary>
    public bool TryHandleInbound(ZhttpPacket p)
    {
        if (p.From is null)
        {
            return false;
        }
        if (p.Ids is not null)
        {
            foreach (var r in p.Ids)
            {
                if (_sessions.TryGetValue((p.From, r.Id), out var ms))
                {
                    // Keep-alives, cancels and batched credits: each session handles its share.
                    ms.OnClientPacket(p, r.Seq);
                }
            }
            return false;
        }
        if (p.Id is null)
        {
            return false;
        }
        if (_sessions.TryGetValue((p.From, p.Id), out var s))
        {
            s.OnClientPacket(p, p.Seq);
            return true;
        }
        if (p.Type == ZhttpPacketType.Data && p.Seq <= 0 && p.Uri is not null
            && (p.Uri.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) || p.Uri.StartsWith("wss://", StringComparison.OrdinalIgnoreCase)))
        {
            StartSession(p);
            return true;
        }
        return false;
    }

    /// <summary>Takes a packet from connmgr's client side if it belongs to one of our backend requests.</summary>
    public bool TryHandleOutbound(ZhttpPacket p)
    {
        if (p.Id is null || !_outbound.TryGetValue(p.Id, out var backend))
        {
            return false;
        }
        backend.OnPacket(p);
        Sweep(backend);
        return true;
    }

    private void StartSession(ZhttpPacket p)
    {
        var s = new WsProxySession(this, p);
        _sessions[(s.RequesterId, s.Id)] = s;
        s.Start(p);
    }

    // ------------------------------------------------------------------ services for sessions and backends

    public void SendInbound(WsProxySession s, ZhttpPacket packet)
    {
        packet.From = Options.InstanceId;
        packet.Id = s.Id;
        packet.Seq = s.OutSeq++;
        if (s.UserData is not null)
        {
            packet.UserData = s.UserData;
        }
        s.LastSentInboundMs = NowMs;
        Responder.Send(s.RequesterId, packet, s.RouterResp);
    }

    public void AddBackend(IWsBackend backend) => _backends.Add(backend);

    public void RegisterOutbound(string id, IWsBackend backend) => _outbound[id] = backend;

    public void UnregisterOutbound(string id) => _outbound.Remove(id);

    public void RegisterCid(WsProxySession s) => _byCid[s.Cid] = s;

    public void SendControlInit(WsControlItem item) => _control?.SendInit([item]);

    public void SendControl(string peer, WsControlItem item) => _control?.SendTo(peer, [item]);

    /// <summary>Forgets a finished session (its backend may live on to deliver a DISCONNECT).</summary>
    public void Remove(WsProxySession s)
    {
        _sessions.Remove((s.RequesterId, s.Id));
        _byCid.Remove(s.Cid);
        if (s.Backend is { } b)
        {
            Sweep(b);
        }
    }

    /// <summary>Drops a backend that has finished.</summary>
    public void Sweep(IWsBackend b)
    {
        if (b.Finished)
        {
            _backends.Remove(b);
        }
    }

    private void OnTick()
    {
        var now = NowMs;
        foreach (var s in _sessions.Values.ToList())
        {
            s.OnTick(now);
        }
        _scratch.Clear();
        _scratch.AddRange(_backends);
        foreach (var b in _scratch)
        {
            b.OnTick(now);
            Sweep(b);
        }
    }

    private void OnControlPacket(WsControlPacket packet)
    {
        foreach (var item in packet.Items)
        {
            if (_byCid.TryGetValue(item.Cid, out var s))
            {
                s.OnControlItem(packet.From, item);
            }
            else if (item.Type is not (WsControlItemType.Cancel or WsControlItemType.Ack) && packet.From is not null)
            {
                // Unknown connection: tell the handler to forget it.
                SendControl(packet.From, new WsControlItem { Cid = item.Cid, Type = WsControlItemType.Cancel });
            }
        }
    }

    /// <summary>Finds the route for a WebSocket request (protocol ws, or <c>Pushpin-Route</c>).</summary>
    public Route? FindRoute(IReadOnlyList<HttpHeader> headers, RequestUri uri, bool https)
    {
        var table = Routes.Current;
        var routeId = Options.AcceptPushpinRoute ? headers.FirstOrDefault(h => h.Is("Pushpin-Route")).Value : null;
        return !string.IsNullOrEmpty(routeId) ? table.FindById(routeId, uri.Path) : table.Match(RouteProtocol.WebSocket, https, uri.Host, uri.Path);
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            Task.WhenAll(_tasks).Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // Best effort.
        }
        _control?.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(2101, LogLevel.Information, "{Line}")]
    public static partial void LogLine(ILogger logger, string line);

    [LoggerMessage(2102, LogLevel.Debug, "ws {Cid}: {What}")]
    public static partial void LogDebug(ILogger logger, string cid, string what);

    private sealed class TickEvent : WsProxyEvent
    {
        public static readonly TickEvent Instance = new();
    }

    private sealed class ControlPacketEvent(WsControlPacket packet) : WsProxyEvent
    {
        public WsControlPacket Packet { get; } = packet;
    }
}

/// <summary>Work <see cref="WsProxy"/> posts to the engine loop for itself.</summary>
internal abstract class WsProxyEvent;
