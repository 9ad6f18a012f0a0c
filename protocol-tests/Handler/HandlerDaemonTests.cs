using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>The pushpin-handler executable: start-up, bind failures, signals.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HandlerDaemonTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "pushpin-handler-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string WriteConfig(int httpPort, int pullPort, int commandPort)
    {
        var path = Path.Combine(_dir, "pushpin.toml");
        File.WriteAllText(path, $"""
            [global]
            rundir = "{_dir}"

            [proxy]
            connmgr_in_stream_specs = "tcp://127.0.0.1:{FreePorts.One()}"
            connmgr_out_specs = "tcp://127.0.0.1:{FreePorts.One()}"

            [handler]
            push_in_spec = "tcp://127.0.0.1:{pullPort}"
            push_in_sub_specs = "tcp://127.0.0.1:{FreePorts.One()}"
            push_in_http_addr = "127.0.0.1"
            push_in_http_port = {httpPort}
            command_spec = "tcp://127.0.0.1:{commandPort}"
            proxy_accept_specs = "tcp://127.0.0.1:{FreePorts.One()}"
            stats_spec = "tcp://127.0.0.1:{FreePorts.One()}"
            """);
        return path;
    }

    [Test]
    public async Task Daemon_serves_the_http_api_and_exits_cleanly_on_sigterm()
    {
        var http = FreePorts.One();
        var config = WriteConfig(http, FreePorts.One(), FreePorts.One());
        await using var child = ChildProcess.Start(Artifacts.Executable("pushpin-handler"), ["--config", config]);
        await Eventually.TrueAsync(async () => (await RawHttp.SendAsync(http, "GET / HTTP/1.1\r\n\r\n")).Contains("Pushpin API", StringComparison.Ordinal), "HTTP API up\n" + child.Output);
        child.Signal(15);
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.EqualTo(0), child.Output);
    }

    [Test]
    public async Task Taken_http_port_is_a_one_line_fatal_error_naming_key_and_port()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var config = WriteConfig(port, FreePorts.One(), FreePorts.One());
        await using var child = ChildProcess.Start(Artifacts.Executable("pushpin-handler"), ["--config", config]);
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(1), child.Output);
        Assert.That(child.Output, Does.Contain("push_in_http_port").And.Contain(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task Taken_pull_port_is_a_fatal_error_naming_the_key()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var config = WriteConfig(FreePorts.One(), port, FreePorts.One());
        await using var child = ChildProcess.Start(Artifacts.Executable("pushpin-handler"), ["--config", config]);
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(1), child.Output);
        Assert.That(child.Output, Does.Contain("push_in_spec").And.Contain(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task Help_lists_the_flags()
    {
        await using var child = ChildProcess.Start(Artifacts.Executable("pushpin-handler"), ["--help"]);
        Assert.That(await child.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(0));
        await child.WaitForLineAsync("--port-offset");
    }
}
