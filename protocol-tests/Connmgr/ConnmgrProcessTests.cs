using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pushpin.ProtocolTests.Connmgr.Server;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr;

/// <summary>The real pushpin-connmgr executable: command line, start-up errors, signals, and a libzmq peer.</summary>
[TestFixture]
[CancelAfter(90_000)]
public sealed class ConnmgrProcessTests
{
    private static string Exe => Artifacts.Executable("pushpin-connmgr");

    private static string Script => Path.Combine(Artifacts.RepoRoot, "protocol-tests", "Connmgr", "Interop", "connmgr_responder.py");

    private static string ReqScript => Path.Combine(Artifacts.RepoRoot, "protocol-tests", "Connmgr", "Interop", "connmgr_req_responder.py");

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Test]
    public async Task Help_prints_usage()
    {
        await using var p = ChildProcess.Start(Exe, ["--help"]);
        Assert.That(await p.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.Zero);
        Assert.That(p.Output, Does.Contain("--zclient-stream"));
    }

    [Test]
    public async Task Unknown_option_is_a_one_line_error()
    {
        await using var p = ChildProcess.Start(Exe, ["--bogus=1"]);
        Assert.That(await p.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(2));
        Assert.That(p.Lines, Has.Count.EqualTo(1));
        Assert.That(p.Output, Does.Contain("unknown option --bogus"));
    }

    [Test]
    public async Task Port_in_use_is_a_one_line_error()
    {
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;
        await using var p = ChildProcess.Start(Exe, [$"--listen=127.0.0.1:{P(port)},stream", $"--zclient-stream=tcp://127.0.0.1:{P(FreePorts.Block(3))}"]);
        Assert.That(await p.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(1));
        Assert.That(p.Lines, Has.Count.EqualTo(1), p.Output);
        Assert.That(p.Output, Does.Contain($"cannot listen on 127.0.0.1:{P(port)}"));
    }

    [Test]
    public async Task Zhttp_port_in_use_is_a_one_line_error()
    {
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;
        await using var p = ChildProcess.Start(Exe, [$"--zserver-stream=tcp://127.0.0.1:{P(port)}"]);
        Assert.That(await p.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(1));
        Assert.That(p.Lines, Has.Count.EqualTo(1), p.Output);
        Assert.That(p.Output, Does.Contain($"127.0.0.1:{P(port)}"));
    }

    [Test]
    public async Task Libzmq_req_mode_responder_answers_through_a_req_listener()
    {
        // Upstream's tools/zhttp/reqhandler.py pattern: a libzmq REP socket on connmgr's req DEALER.
        var zreq = FreePorts.One();
        var http = FreePorts.One();
        await using var connmgr = ChildProcess.Start(Exe, [
            $"--listen=127.0.0.1:{P(http)},req", $"--zclient-req=tcp://127.0.0.1:{P(zreq)}", "--log-level=3"]);
        await connmgr.WaitForLineAsync("started");
        await using var python = ChildProcess.Start("/usr/bin/python3", [ReqScript, $"tcp://127.0.0.1:{P(zreq)}"]);
        await python.WaitForLineAsync("ready");

        string? hello = null;
        await Eventually.TrueAsync(async () =>
        {
            using var c = await Connect(http);
            await c.SendAsync("GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\n");
            hello = await c.ReadResponseAsync(TimeSpan.FromSeconds(3));
            return hello.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal);
        }, "a request answered by the python req responder");
        const string helloBody = "hello http://example.com/hello";
        Assert.That(hello, Is.EqualTo($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Peer: 127.0.0.1\r\nContent-Length: {helloBody.Length}\r\n\r\n{helloBody}"));

        using (var c = await Connect(http))
        {
            // Persistent connection: a chunked POST, then a large response, on the same socket.
            await c.SendAsync("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
            Assert.That(await c.ReadResponseAsync(), Does.EndWith("Content-Length: 10\r\n\r\ngot:abcdef"));
            await c.SendAsync("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.That(await c.ReadResponseAsync(), Does.EndWith("Content-Length: 5000\r\n\r\n" + new string('x', 5000)));
        }
        Assert.That(python.Output, Does.Contain("served POST http://a/up"));

        connmgr.Signal(15);
        Assert.That(await connmgr.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.Zero, connmgr.Output);
    }

    [Test]
    public async Task Libzmq_responder_drives_connmgr_and_sigterm_stops_it_cleanly()
    {
        var zbase = FreePorts.Block(3);
        var http = FreePorts.One();
        await using var connmgr = ChildProcess.Start(Exe, [
            $"--listen=127.0.0.1:{P(http)},stream", $"--zclient-stream=tcp://127.0.0.1:{P(zbase)}",
            $"--zserver-stream=tcp://127.0.0.1:{P(FreePorts.Block(3))}", "--id=connmgr", "--log-level=3"]);
        await connmgr.WaitForLineAsync("started");
        await using var python = ChildProcess.Start("/usr/bin/python3", [Script, P(zbase), "pyresp"]);
        await python.WaitForLineAsync("ready");

        // zmq connects asynchronously: until the PUSH has a peer connmgr answers 503.
        string? hello = null;
        await Eventually.TrueAsync(async () =>
        {
            using var c = await Connect(http);
            await c.SendAsync("GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\n");
            hello = await c.ReadResponseAsync(TimeSpan.FromSeconds(3));
            return hello.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal);
        }, "a request answered by the python responder");
        Assert.That(hello, Does.EndWith("\r\n\r\nhello http://example.com/hello"));

        using (var c = await Connect(http))
        {
            await c.SendAsync("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
            var text = await c.ReadResponseAsync();
            Assert.That(text, Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n6\r\npart1\n\r\n6\r\npart2\n\r\n0\r\n\r\n"));

            await c.SendAsync("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
            var posted = await c.ReadResponseAsync();
            Assert.That(posted, Does.EndWith("\r\n\r\ngot:abcdef"));
        }
        Assert.That(python.Output, Does.Contain("served POST http://a/up"));

        connmgr.Signal(15);
        Assert.That(await connmgr.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.Zero, connmgr.Output);
    }

    [Test]
    public async Task Libzmq_responder_echoes_websocket_messages_with_compression_on()
    {
        var zbase = FreePorts.Block(3);
        var http = FreePorts.One();
        await using var connmgr = ChildProcess.Start(Exe, [
            $"--listen=127.0.0.1:{P(http)},stream", $"--zclient-stream=tcp://127.0.0.1:{P(zbase)}", "--compression", "--log-level=3"]);
        await connmgr.WaitForLineAsync("started");
        await using var python = ChildProcess.Start("/usr/bin/python3", [Script, P(zbase), "pyresp"]);
        await python.WaitForLineAsync("ready");

        System.Net.WebSockets.ClientWebSocket? ws = null;
        await Eventually.TrueAsync(async () =>
        {
            ws?.Dispose();
            ws = new System.Net.WebSockets.ClientWebSocket();
            ws.Options.AddSubProtocol("echo");
            ws.Options.DangerousDeflateOptions = new System.Net.WebSockets.WebSocketDeflateOptions();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{P(http)}/echo"), cts.Token);
                return true;
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException)
            {
                return false; // 503 until zmq has connected
            }
        }, "a WebSocket accepted by the python responder");
        using (ws)
        {
            Assert.That(ws!.SubProtocol, Is.EqualTo("echo"));
            var buffer = new byte[256];
            await ws.SendAsync("hi"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count), Is.EqualTo("echo:hi"));
            Assert.That(r.EndOfMessage, Is.True);
            await ws.CloseAsync((System.Net.WebSockets.WebSocketCloseStatus)4100, "later", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That((ws.CloseStatus, ws.CloseStatusDescription), Is.EqualTo(((System.Net.WebSockets.WebSocketCloseStatus)4100, "done")));
        }
        await python.WaitForLineAsync("served WS ws://127.0.0.1:");
        connmgr.Signal(15);
        Assert.That(await connmgr.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.Zero, connmgr.Output);
    }

    [Test]
    public async Task Logs_in_upstream_format_and_exits_when_the_runner_is_gone()
    {
        // PUSHPIN_RUNNER_PID names a process that is not our parent: the runner that started
        // connmgr is gone (it was SIGKILLed), so connmgr must stop by itself.
        var env = new Dictionary<string, string> { ["PUSHPIN_RUNNER_PID"] = "1" };
        await using var p = ChildProcess.Start(Exe, [$"--listen=127.0.0.1:{P(FreePorts.One())},stream", $"--zclient-stream=tcp://127.0.0.1:{P(FreePorts.Block(3))}"], environment: env);
        Assert.That(await p.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.Zero, p.Output);
        Assert.That(p.Lines, Has.Some.Match(@"^\[INFO\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} started \(id connmgr\)$"), p.Output);
        Assert.That(p.Output, Does.Contain("runner (pid 1) is gone"));
    }

    [Test]
    public async Task Bad_idle_timeout_is_a_usage_error()
    {
        await using var p = ChildProcess.Start(Exe, ["--zserver-stream=tcp://127.0.0.1:1", "--idle-timeout=0"]);
        Assert.That(await p.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(2));
        Assert.That(p.Output, Does.Contain("--idle-timeout must be a positive number of seconds"));
    }

    private static async Task<TestClient> Connect(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new TestClient(tcp);
    }
}
