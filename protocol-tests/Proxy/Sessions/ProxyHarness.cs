using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.Common.Zrpc;
using Pushpin.ProtocolTests.Support;
using Pushpin.Proxy;
using Pushpin.Proxy.Routing;
using Pushpin.Proxy.Sessions;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary>
/// A proxy engine wired over real NetMQ tcp sockets to scripted peers: a zhttp requester
/// playing connmgr's server side (the clients), a zhttp responder playing connmgr's client
/// mode (the backends), and a zrpc server playing the handler's accept socket.
/// </summary>
internal sealed class ProxyHarness : IAsyncDisposable
{
    private const string WarmupHost = "warmup.local";
    private const string WarmupOutHost = "warmup-out.local";
    private int _nextId;

    private ProxyHarness(ProxyOptions options, ZhttpRequester clients, ZhttpResponder backends, ZrpcServer handler, RoutesProvider routes, ProxyEngine engine)
    {
        Options = options;
        Clients = clients;
        Backends = backends;
        Handler = handler;
        Routes = routes;
        Engine = engine;
    }

    public ProxyOptions Options { get; }

    /// <summary>connmgr server side: sends client requests to the proxy, receives its responses.</summary>
    public ZhttpRequester Clients { get; }

    /// <summary>connmgr client mode: receives the proxy's outbound requests, answers as the backend.</summary>
    public ZhttpResponder Backends { get; }

    public ZrpcServer Handler { get; }

    /// <summary>The handler's intreq requester: its own outbound requests through the proxy.</summary>
    public ZhttpRequester HandlerRequests { get; private init; } = null!;

    public RoutesProvider Routes { get; }

    public ProxyEngine Engine { get; }

    public static async Task<ProxyHarness> StartAsync(IEnumerable<string> routeLines, Func<ProxyOptions, ProxyOptions>? configure = null, TimeProvider? time = null, Pushpin.Common.Stats.StatsAggregator? stats = null, string? routesFile = null)
    {
        // Ports are probed free and bound a moment later; a port another test left in TIME_WAIT
        // (NetMQ binds without SO_REUSEADDR) can still refuse the bind: pick new ports and retry.
        var lines = routeLines.ToList();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(lines, configure, time, stats, routesFile);
            }
            catch (Pushpin.Common.Transport.SocketBindException) when (attempt < 5)
            {
            }
        }
    }

    private static async Task<ProxyHarness> StartOnceAsync(IEnumerable<string> routeLines, Func<ProxyOptions, ProxyOptions>? configure, TimeProvider? time, Pushpin.Common.Stats.StatsAggregator? stats, string? routesFile)
    {
        var serverBase = FreePorts.Block(3);
        var clientBase = FreePorts.Block(3);
        var acceptPort = FreePorts.One();
        var intreqBase = FreePorts.Block(3);
        var retryPort = FreePorts.One();
        var options = new ProxyOptions
        {
            HandlerRetryInSpec = $"tcp://127.0.0.1:{retryPort}",
            IntreqInSpecs = [$"tcp://127.0.0.1:{intreqBase}"],
            IntreqInStreamSpecs = [$"tcp://127.0.0.1:{intreqBase + 1}"],
            IntreqOutSpecs = [$"tcp://127.0.0.1:{intreqBase + 2}"],
            InstanceId = "proxy_test",
            ConnmgrInSpecs = [$"tcp://127.0.0.1:{serverBase}"],
            ConnmgrInStreamSpecs = [$"tcp://127.0.0.1:{serverBase + 1}"],
            ConnmgrOutSpecs = [$"tcp://127.0.0.1:{serverBase + 2}"],
            ConnmgrClientOutSpecs = [$"tcp://127.0.0.1:{clientBase}"],
            ConnmgrClientOutStreamSpecs = [$"tcp://127.0.0.1:{clientBase + 1}"],
            ConnmgrClientInSpecs = [$"tcp://127.0.0.1:{clientBase + 2}"],
            HandlerAcceptSpec = $"tcp://127.0.0.1:{acceptPort}",
        };
        options = configure?.Invoke(options) ?? options;
        var clients = new ZhttpRequester("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{serverBase}", bind: true), NullLogger.Instance);
        var backends = new ZhttpResponder("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{clientBase}", bind: true), NullLogger.Instance);
        clients.Start();
        backends.Start();
        var routes = new RoutesProvider(routesFile, [.. routeLines, $"{WarmupHost} test", $"{WarmupOutHost} 127.0.0.1:1"], NullLogger.Instance);
        routes.Start();
        var engine = new ProxyEngine(options, routes, NullLogger.Instance, time) { Stats = stats };
        engine.Start();
        var handler = new ZrpcServer([options.HandlerAcceptSpec], bind: false, NullLogger.Instance, "test handler");
        handler.Start();
        var intreq = new ZhttpRequester("handler_test", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{intreqBase}", bind: false), NullLogger.Instance);
        intreq.Start();
        var harness = new ProxyHarness(options, clients, backends, handler, routes, engine) { HandlerRequests = intreq };
        await harness.WarmUpAsync();
        return harness;
    }

    /// <summary>Waits until both zhttp links carry packets, without fixed sleeps.</summary>
    private async Task WarmUpAsync()
    {
        await Eventually.TrueAsync(async () =>
        {
            var id = Send(new ZhttpPacket { Method = "GET", Uri = $"http://{WarmupHost}/" });
            var p = await NextFromProxyAsync(id, TimeSpan.FromMilliseconds(300), p => p.Code >= 0 || p.Type == ZhttpPacketType.Error);
            return p?.Code == 200;
        }, "proxy reachable from connmgr");
        await Eventually.TrueAsync(async () =>
        {
            Send(new ZhttpPacket { Method = "GET", Uri = $"http://{WarmupOutHost}/" });
            var p = await NextOutboundAsync(TimeSpan.FromMilliseconds(300));
            if (p is null)
            {
                return false;
            }
            ReplyToProxy(p.Id!, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "remote-connection-failed" }, 0);
            return true;
        }, "proxy reaches connmgr client mode");
        // Drain what the warm-up left behind.
        while (Clients.Incoming.TryRead(out _))
        {
        }
    }

    /// <summary>Sends a client's initial packet (fills from/id/seq/stream/router-resp/credits defaults) and returns its id.</summary>
    public string Send(ZhttpPacket packet)
    {
        var id = "0-0-" + Interlocked.Increment(ref _nextId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        packet.From = "connmgr";
        packet.Id = id;
        packet.Seq = 0;
        packet.Stream = true;
        packet.RouterResp = true;
        packet.PeerAddress ??= "127.0.0.1";
        if (packet.Credits < 0)
        {
            packet.Credits = 8192;
        }
        Clients.SendInitial(packet);
        return id;
    }

    /// <summary>Sends an intreq request as the handler would (passthrough data attached) and returns its id.</summary>
    public string SendInternal(ZhttpPacket packet)
    {
        var id = "int-" + Interlocked.Increment(ref _nextId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        packet.From = "handler_test";
        packet.Id = id;
        packet.Seq = 0;
        packet.Stream = true;
        packet.RouterResp = true;
        if (packet.Credits < 0)
        {
            packet.Credits = 200_000;
        }
        HandlerRequests.SendInitial(packet);
        return id;
    }

    /// <summary>Next packet the proxy sends the handler on intreq session <paramref name="id"/> (acks skipped).</summary>
    public async Task<ZhttpPacket?> NextInternalAsync(string id, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var p = await HandlerRequests.Incoming.ReadAsync(cts.Token);
                if (p.Id == id && p.Type is not (ZhttpPacketType.KeepAlive or ZhttpPacketType.Credit))
                {
                    return p;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sends a later client packet of session <paramref name="id"/>.</summary>
    public void SendMore(string id, int seq, ZhttpPacket packet)
    {
        packet.From = "connmgr";
        packet.Id = id;
        packet.Seq = seq;
        Clients.SendToRouter(Options.InstanceId, packet);
    }

    /// <summary>The backend side answers the proxy's outbound session <paramref name="id"/>.</summary>
    public void ReplyToProxy(string id, ZhttpPacket packet, int seq)
    {
        packet.From = "connmgr";
        packet.Id = id;
        packet.Seq = seq;
        Backends.Send(Options.InstanceId, packet, routerResp: true);
    }

    public async Task<ZhttpPacket?> NextFromProxyAsync(string id, TimeSpan? timeout = null, Func<ZhttpPacket, bool>? filter = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var p = await Clients.Incoming.ReadAsync(cts.Token);
                if (p.Id == id && (filter is null || filter(p)))
                {
                    return p;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Next packet from the proxy on session <paramref name="id"/> that is not an ack/keep-alive/credit.</summary>
    public async Task<ZhttpPacket> ExpectFromProxyAsync(string id, Func<ZhttpPacket, bool>? filter = null)
    {
        var p = await NextFromProxyAsync(id, null, filter ?? (p => p.Type is not (ZhttpPacketType.KeepAlive or ZhttpPacketType.Credit)));
        Assert.That(p, Is.Not.Null, "expected a packet from the proxy");
        return p!;
    }

    public async Task<ZhttpPacket?> NextOutboundAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await Backends.Incoming.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async Task<ZhttpPacket> ExpectOutboundAsync(Func<ZhttpPacket, bool>? filter = null)
    {
        while (true)
        {
            var p = await NextOutboundAsync();
            Assert.That(p, Is.Not.Null, "expected an outbound packet from the proxy");
            if (filter is null || filter(p!))
            {
                return p!;
            }
        }
    }

    public async Task<ZrpcCall> ExpectAcceptCallAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await Handler.Calls.ReadAsync(cts.Token);
    }

    /// <summary>Reads the client-side response (status packet plus body packets) until the last one.</summary>
    public async Task<(ZhttpPacket First, string Body)> ReadResponseAsync(string id)
    {
        var first = await ExpectFromProxyAsync(id, p => p.Code >= 0 || p.Type is ZhttpPacketType.Error or ZhttpPacketType.Cancel or ZhttpPacketType.HandoffStart);
        var body = new System.Text.StringBuilder(System.Text.Encoding.UTF8.GetString(first.Body.Span));
        var last = first;
        while (last.More)
        {
            last = await ExpectFromProxyAsync(id, p => p.Type == ZhttpPacketType.Data);
            body.Append(System.Text.Encoding.UTF8.GetString(last.Body.Span));
        }
        return (first, body.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Handler.Dispose();
        HandlerRequests.Dispose();
        Clients.Dispose();
        Backends.Dispose();
        Routes.Dispose();
    }
}
