using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Proxy;

/// <summary>The real pushpin-proxy executable, driven by a scripted connmgr over tcp.</summary>
[CancelAfter(60_000)]
public sealed class ProxyProcessTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("pushpin-proxy-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string WriteConfig(int serverBase, int clientBase, int acceptPort, string routes)
    {
        File.WriteAllText(Path.Combine(_dir, "routes"), routes);
        var conf = $"""
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
            sig_key=changeme
            """;
        var path = Path.Combine(_dir, "pushpin.conf");
        File.WriteAllText(path, conf);
        return path;
    }

    [Test]
    public async Task Proxy_process_answers_the_test_route_and_exits_cleanly_on_sigterm()
    {
        var serverBase = FreePorts.Block(3);
        var clientBase = FreePorts.Block(3);
        var config = WriteConfig(serverBase, clientBase, FreePorts.One(), "* test\n");
        using var connmgr = new ZhttpRequester("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{serverBase}", bind: true), NullLogger.Instance);
        connmgr.Start();
        await using var proxy = ChildProcess.Start(Artifacts.Executable("pushpin-proxy"), ["--config", config]);
        await proxy.WaitForLineAsync("started");

        var n = 0;
        await Eventually.TrueAsync(async () =>
        {
            var id = "0-0-" + ++n;
            connmgr.SendInitial(new ZhttpPacket { From = "connmgr", Id = id, Seq = 0, Method = "GET", Uri = "http://example.com/", Stream = true, RouterResp = true, Credits = 8192 });
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                while (true)
                {
                    var p = await connmgr.Incoming.ReadAsync(wait.Token);
                    if (p.Id == id && p.Code == 200)
                    {
                        return Encoding.UTF8.GetString(p.Body.Span) == "Hello from the Pushpin test handler!\n";
                    }
                    if (p.Id == id && p.Type == ZhttpPacketType.Error)
                    {
                        return false;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "test route answer");
        await proxy.WaitForLineAsync("GET http://example.com/ -> test code=200 37");

        proxy.Signal(15);
        Assert.That(await proxy.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.EqualTo(0));
    }

    [Test]
    public async Task Accept_socket_already_bound_is_a_one_line_fatal_exit()
    {
        var acceptPort = FreePorts.One();
        using var blocker = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, acceptPort);
        blocker.Start();
        var config = WriteConfig(FreePorts.Block(3), FreePorts.Block(3), acceptPort, "* test\n");
        await using var proxy = ChildProcess.Start(Artifacts.Executable("pushpin-proxy"), ["--config", config]);
        Assert.That(await proxy.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(1));
        Assert.That(proxy.Output, Does.Contain("handler_accept_spec"));
    }
}
