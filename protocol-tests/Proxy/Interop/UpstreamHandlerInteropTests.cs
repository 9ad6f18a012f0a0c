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

        using var connmgr = new ZhttpRequester("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{serverBase}", bind: true), NullLogger.Instance);
        connmgr.Start();
        await using var handler = ChildProcess.Start(UpstreamHandler, ["--config", Path.Combine(_dir, "handler.conf"), "--verbose"], _dir);
        await using var proxy = ChildProcess.Start(Artifacts.Executable("pushpin-proxy"), ["--config", Path.Combine(_dir, "proxy.conf"), "--verbose"], _dir);
        await proxy.WaitForLineAsync("started");
        using var http = new HttpClient();
        await handler.WaitForLineAsync("started");

        // A stream hold on the test route; retry until the proxy's PULL is connected.
        var n = 0;
        string? id = null;
        await Eventually.TrueAsync(async () =>
        {
            id = "0-0-" + ++n;
            connmgr.SendInitial(new ZhttpPacket { From = "connmgr", Id = id, Seq = 0, Method = "GET", Uri = "http://example.com/stream?channel=interop", Headers = [new("Host", "example.com")], Stream = true, RouterResp = true, Credits = 100_000, PeerAddress = "127.0.0.1" });
            var p = await NextAsync(connmgr, id, p => p.Type is ZhttpPacketType.HandoffStart or ZhttpPacketType.Error, TimeSpan.FromMilliseconds(500));
            return p?.Type == ZhttpPacketType.HandoffStart;
        }, "handoff-start from the proxy");
        connmgr.SendToRouter(ProxyIdFrom(proxy), new ZhttpPacket { From = "connmgr", Id = id, Seq = 1, Type = ZhttpPacketType.HandoffProceed });

        // The upstream handler now owns the session: it sends the initial stream response.
        var initial = await NextAsync(connmgr, id!, p => p.Code >= 0, TimeSpan.FromSeconds(15));
        Assert.That(initial, Is.Not.Null, "initial response from the upstream handler\n" + handler.Output + "\n" + proxy.Output);
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
            using var content = new StringContent("{\"items\":[{\"channel\":\"interop\",\"formats\":{\"http-stream\":{\"content\":\"hello interop\\n\"}}}]}", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{httpPort}/publish/"), content);
            var data = await NextAsync(connmgr, id!, p => p.Type == ZhttpPacketType.Data && p.Body.Length > 0, TimeSpan.FromMilliseconds(500));
            return data is not null && Encoding.UTF8.GetString(data.Body.Span) == "hello interop\n";
        }, "published data on the held stream");
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
