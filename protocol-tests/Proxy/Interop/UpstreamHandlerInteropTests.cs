using System.Net.Http;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Proxy.Interop;

/// <summary>
/// Our pushpin-proxy handing a GRIP session to Debian's pushpin-handler 1.36 (the upstream
/// implementation of the accept side), with a scripted connmgr: proves the accept arguments
/// and the handoff sequence are what upstream expects. (1.36 reads its zhttp server sockets from
/// the <c>m2a_*</c> keys.)
/// </summary>
[CancelAfter(90_000)]
public sealed class UpstreamHandlerInteropTests
{
    private const string UpstreamHandler = "/usr/bin/pushpin-handler";
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        if (!File.Exists(UpstreamHandler))
        {
            Assert.Ignore("Debian pushpin-handler is not installed");
        }
        _dir = Directory.CreateTempSubdirectory("pushpin-interop-").FullName;
    }

    [TearDown]
    public void TearDown()
    {
        if (_dir is not null)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Test]
    public async Task Upstream_handler_takes_over_a_stream_hold_and_delivers_a_publish()
    {
        await using var env = await StartAsync();
        var (id, initial) = await HoldAsync(env, credits: 100_000);
        Assert.That(initial, Is.Not.Null, "initial response from the upstream handler\n" + env.Handler.Output + "\n" + env.Proxy.Output);
        Assert.Multiple(() =>
        {
            Assert.That(initial!.From, Does.StartWith("pushpin-handler_"));
            Assert.That(initial.Code, Is.EqualTo(200));
            Assert.That(Encoding.UTF8.GetString(initial.Body.Span), Is.EqualTo("[stream opened]\n"));
            Assert.That(initial.GetHeader("Grip-Hold"), Is.Null);
        });

        // Publish and see the data arrive on the same session.
        await Eventually.TrueAsync(async () =>
        {
            await PublishAsync(env, "hello interop\n");
            var data = await NextAsync(env.Connmgr, id, p => p.Type == ZhttpPacketType.Data && p.Body.Length > 0, TimeSpan.FromMilliseconds(500));
            return data is not null && Encoding.UTF8.GetString(data.Body.Span) == "hello interop\n";
        }, "published data on the held stream");
    }

    [Test]
    public async Task Upstream_handler_applies_credits_from_a_multi_id_credit_packet()
    {
        // Our connmgr gives credits back in multi-id packets; 1.36's handler must count them per id.
        await using var env = await StartAsync();
        // 20 bytes of room: the 16-byte initial body leaves 4.
        var (id, initial) = await HoldAsync(env, credits: 20);
        Assert.That(initial, Is.Not.Null, "initial response from the upstream handler\n" + env.Handler.Output);
        Assert.That(Encoding.UTF8.GetString(initial!.Body.Span), Is.EqualTo("[stream opened]\n"), $"{initial} {initial.GetHeader("Content-Type")}\n{env.Proxy.Output}");
        // Publish until the handler sends something (its subscription may take a moment).
        var received = new StringBuilder();
        await Eventually.TrueAsync(async () =>
        {
            if (received.Length == 0)
            {
                await PublishAsync(env, "hello interop\n");
            }
            var part = await NextAsync(env.Connmgr, id, p => p.Type == ZhttpPacketType.Data, TimeSpan.FromMilliseconds(500));
            if (part is not null)
            {
                received.Append(Encoding.UTF8.GetString(part.Body.Span));
            }
            return received.Length >= 4;
        }, "the first 4 bytes of the published message");
        Assert.That(received.ToString(), Is.EqualTo("hell"), "no more than the credits allow");
        Assert.That(await NextAsync(env.Connmgr, id, p => p.Type == ZhttpPacketType.Data, TimeSpan.FromMilliseconds(300)), Is.Null, "nothing more without credits");

        // seq 2: after the initial packet and handoff-proceed. The second id is unknown to it.
        env.Connmgr.SendToRouter(initial.From!, new ZhttpPacket
        {
            From = "connmgr",
            Type = ZhttpPacketType.Credit,
            Credits = 100,
            Ids = [new(id, 2), new("0-0-unknown", 5)],
            Multi = true,
        });
        while (received.Length < "hello interop\n".Length)
        {
            var part = await NextAsync(env.Connmgr, id, p => p.Type == ZhttpPacketType.Data, TimeSpan.FromSeconds(10));
            Assert.That(part, Is.Not.Null, "the rest after the multi-id credit packet\n" + env.Handler.Output);
            received.Append(Encoding.UTF8.GetString(part!.Body.Span));
        }
        Assert.That(received.ToString(), Does.StartWith("hello interop\n"));
    }

    /// <summary>Our proxy and 1.36's handler, with a scripted connmgr on both zhttp sides.</summary>
    private async Task<Env> StartAsync()
    {
        var serverBase = FreePorts.Block(3);
        var clientBase = FreePorts.Block(3);
        var acceptPort = FreePorts.One();
        var httpPort = FreePorts.One();
        var rundir = Path.Combine(_dir, "run");
        Directory.CreateDirectory(rundir);
        File.WriteAllText(Path.Combine(_dir, "routes"), "* test\n");
        File.WriteAllText(Path.Combine(_dir, "proxy.conf"), $"""
            [proxy]
            routesfile=routes
            connmgr_in_specs=tcp://127.0.0.1:{serverBase}
            connmgr_in_stream_specs=tcp://127.0.0.1:{serverBase + 1}
            connmgr_out_specs=tcp://127.0.0.1:{serverBase + 2}
            connmgr_client_out_specs=tcp://127.0.0.1:{clientBase}
            connmgr_client_out_stream_specs=tcp://127.0.0.1:{clientBase + 1}
            connmgr_client_in_specs=tcp://127.0.0.1:{clientBase + 2}
            handler_accept_spec=tcp://127.0.0.1:{acceptPort}
            stats_spec=tcp://127.0.0.1:{FreePorts.One()}
            """);
        File.WriteAllText(Path.Combine(_dir, "handler.conf"), $"""
            [global]
            rundir={rundir}
            ipc_prefix=t-
            [handler]
            proxy_inspect_spec=ipc://{rundir}/t-inspect
            proxy_accept_spec=tcp://127.0.0.1:{acceptPort}
            proxy_retry_out_spec=ipc://{rundir}/t-retry
            proxy_ws_control_in_spec=ipc://{rundir}/t-ws-control-out
            proxy_ws_control_out_spec=ipc://{rundir}/t-ws-control-in
            proxy_stats_spec=ipc://{rundir}/t-proxy-stats
            proxy_command_spec=ipc://{rundir}/t-proxy-command
            m2a_in_stream_specs=tcp://127.0.0.1:{serverBase + 1}
            m2a_out_specs=tcp://127.0.0.1:{serverBase + 2}
            proxy_intreq_out_specs=ipc://{rundir}/t-intreq-in
            proxy_intreq_out_stream_specs=ipc://{rundir}/t-intreq-in-stream
            proxy_intreq_in_specs=ipc://{rundir}/t-intreq-out
            push_in_spec=ipc://{rundir}/t-push-in
            push_in_http_addr=127.0.0.1
            push_in_http_port={httpPort}
            stats_spec=ipc://{rundir}/t-stats
            command_spec=ipc://{rundir}/t-command
            """);

        var connmgr = new ZhttpRequester("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{serverBase}", bind: true), NullLogger.Instance);
        connmgr.Start();
        var handler = ChildProcess.Start(UpstreamHandler, ["--config", Path.Combine(_dir, "handler.conf"), "--verbose"], _dir);
        var proxy = ChildProcess.Start(Artifacts.Executable("pushpin-proxy"), ["--config", Path.Combine(_dir, "proxy.conf"), "--verbose"], _dir);
        var env = new Env(connmgr, handler, proxy, httpPort);
        await proxy.WaitForLineAsync("started");
        await handler.WaitForLineAsync("started");
        return env;
    }

    /// <summary>A stream hold on the test route handed to the handler; returns its id and the handler's first packet.</summary>
    private static async Task<(string Id, ZhttpPacket? Initial)> HoldAsync(Env env, int credits)
    {
        // Retry with a new request until the proxy's PULL and its accept socket are connected: until
        // then the request fails (no handoff, or a 500 "Accept service unavailable" from the proxy).
        var n = 0;
        string? id = null;
        ZhttpPacket? initial = null;
        await Eventually.TrueAsync(async () =>
        {
            id = "0-0-" + ++n;
            env.Connmgr.SendInitial(new ZhttpPacket { From = "connmgr", Id = id, Seq = 0, Method = "GET", Uri = "http://example.com/stream?channel=interop", Headers = [new("Host", "example.com")], Stream = true, RouterResp = true, Credits = credits, PeerAddress = "127.0.0.1" });
            var p = await NextAsync(env.Connmgr, id, p => p.Type is ZhttpPacketType.HandoffStart or ZhttpPacketType.Error || p.Code >= 0, TimeSpan.FromMilliseconds(500));
            if (p?.Type != ZhttpPacketType.HandoffStart)
            {
                return false;
            }
            env.Connmgr.SendToRouter(ProxyIdFrom(env.Proxy), new ZhttpPacket { From = "connmgr", Id = id, Seq = 1, Type = ZhttpPacketType.HandoffProceed });
            // The upstream handler now owns the session: it sends the initial stream response.
            initial = await NextAsync(env.Connmgr, id, p => p.Code >= 0, TimeSpan.FromSeconds(5));
            return initial?.From?.StartsWith("pushpin-handler_", StringComparison.Ordinal) == true;
        }, "the upstream handler's initial response");
        return (id!, initial);
    }

    private static async Task PublishAsync(Env env, string content)
    {
        using var body = new StringContent("{\"items\":[{\"channel\":\"interop\",\"formats\":{\"http-stream\":{\"content\":" + System.Text.Json.JsonSerializer.Serialize(content) + "}}}]}", Encoding.UTF8, "application/json");
        using var response = await env.Http.PostAsync(new Uri($"http://127.0.0.1:{env.HttpPort}/publish/"), body);
    }

    private sealed class Env(ZhttpRequester connmgr, ChildProcess handler, ChildProcess proxy, int httpPort) : IAsyncDisposable
    {
        public ZhttpRequester Connmgr { get; } = connmgr;

        public ChildProcess Handler { get; } = handler;

        public ChildProcess Proxy { get; } = proxy;

        public int HttpPort { get; } = httpPort;

        public HttpClient Http { get; } = new();

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Proxy.DisposeAsync();
            await Handler.DisposeAsync();
            Connmgr.Dispose();
        }
    }

    private static string ProxyIdFrom(ChildProcess proxy)
    {
        var line = proxy.Lines.First(l => l.Contains("started (id ", StringComparison.Ordinal));
        var start = line.IndexOf("started (id ", StringComparison.Ordinal) + "started (id ".Length;
        return line[start..line.IndexOf(')', start)];
    }

    private static async Task<ZhttpPacket?> NextAsync(ZhttpRequester connmgr, string id, Func<ZhttpPacket, bool> filter, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var p = await connmgr.Incoming.ReadAsync(cts.Token);
                if (p.Id == id && filter(p))
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
}
