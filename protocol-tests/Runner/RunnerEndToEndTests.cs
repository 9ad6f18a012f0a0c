using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Runner;

/// <summary>
/// The real runner with the real daemons: instances side by side, per-service log levels, JSON
/// logs, kill -9 of each daemon, and a clean SIGTERM that ends held streams.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("NeedsDaemons")]
public sealed class RunnerEndToEndTests
{
    private static readonly string[] TestRoute = ["* test"];

    [Test]
    [CancelAfter(150_000)]
    public async Task Two_instances_with_id_0_and_1_serve_side_by_side_with_separate_publish_ports()
    {
        // One config, two runners: --id shifts every internal and publish port by 10 x id.
        var offset = PushpinCluster.PickOffset(10);
        var port0 = FreePorts.One();
        var port1 = FreePorts.One();
        string Config(string dir, int httpPort, int o) => PushpinCluster.DefaultToml("run", port0, o);
        await using var first = await PushpinCluster.StartAsync(TestRoute, "pushpin.toml", Config, ["--port", $"127.0.0.1:{port0}"], offset, port0, id: 0);
        await using var second = await PushpinCluster.StartAsync(TestRoute, "pushpin.toml", Config, ["--port", $"127.0.0.1:{port1}"], offset, port1, id: 1);
        Assert.That(second.PublishHttpPort, Is.EqualTo(first.PublishHttpPort + 10));

        using var stream0 = await OpenStreamAsync(port0);
        using var stream1 = await OpenStreamAsync(port1);
        await PublishAsync(first, "to-first");
        await PublishAsync(second, "to-second");
        Assert.That(await stream0.ReadUntilAsync("to-first"), Does.Not.Contain("to-second"));
        Assert.That(await stream1.ReadUntilAsync("to-second"), Does.Not.Contain("to-first"));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Loglevel_per_service_sets_each_daemons_level()
    {
        await using var pushpin = await PushpinCluster.StartAsync(TestRoute, runnerArgs: ["--loglevel", "2,proxy:3,handler:1"]);
        using var http = new HttpClient();
        (await http.GetAsync(pushpin.BaseUri)).Dispose();
        await Eventually.TrueAsync(() => pushpin.Runner.Lines.Any(l => l.StartsWith("[DEBUG]", StringComparison.Ordinal) && l.Contains("[proxy]", StringComparison.Ordinal)), "a proxy debug line");
        var lines = pushpin.Runner.Lines.ToList();
        Assert.That(lines, Has.Some.Match(@"^\[DEBUG\] \S+ \S+ \[proxy\] "), "proxy at 3 logs debug");
        Assert.That(lines, Has.None.Match(@"^\[(DEBUG|INFO)\] \S+ \S+ \[handler\] "), "handler at 1 logs warnings and errors only");
        Assert.That(lines, Has.None.Match(@"^\[DEBUG\] \S+ \S+ \[connmgr\] "), "connmgr stays at 2");
        Assert.That(lines, Has.Some.Match(@"^\[INFO\] \S+ \S+ \[connmgr\] "));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Json_log_format_makes_every_merged_line_a_json_object_tagged_with_its_service()
    {
        await using var pushpin = await PushpinCluster.StartAsync(TestRoute, runnerArgs: ["--log-format", "json"]);
        using var http = new HttpClient();
        (await http.GetAsync(pushpin.BaseUri)).Dispose();
        var services = new HashSet<string>();
        foreach (var line in pushpin.Runner.Lines.ToList())
        {
            using var doc = JsonDocument.Parse(line);
            Assert.That(doc.RootElement.TryGetProperty("@t", out _), Is.True, line);
            if (doc.RootElement.TryGetProperty("service", out var service))
            {
                services.Add(service.GetString()!);
            }
        }
        Assert.That(services, Is.SupersetOf(new[] { "connmgr", "proxy", "handler" }));
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task Kill_9_of_each_daemon_in_turn_brings_it_back_serving()
    {
        await using var pushpin = await PushpinCluster.StartAsync(TestRoute);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var daemon in new[] { "connmgr", "proxy", "handler" })
        {
            var pid = ProcessTree.Children(pushpin.Runner.Pid, "pushpin-" + daemon).Single();
            Kill(pid, 9);
            if (daemon == "handler")
            {
                // The handler holds only GRIP sessions: plain requests never notice it is gone.
                for (var i = 0; i < 50; i++)
                {
                    using var r = await http.GetAsync(pushpin.BaseUri);
                    Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"request {i} while the handler is down");
                }
            }
            await pushpin.Runner.WaitForLineAsync($"restarting {daemon}");
            await Eventually.TrueAsync(() => ProcessTree.Children(pushpin.Runner.Pid, "pushpin-" + daemon).Any(p => p != pid), $"a new {daemon}");
            await pushpin.WaitReadyAsync();
            // It serves again: a plain request and a stream hold that receives a publish.
            await Eventually.TrueAsync(async () =>
            {
                using var stream = await OpenStreamAsync(pushpin.HttpPort);
                await PublishAsync(pushpin, "after-" + daemon);
                return (await stream.ReadUntilAsync("after-" + daemon, TimeSpan.FromSeconds(5))).Contains("after-" + daemon, StringComparison.Ordinal);
            }, $"a stream hold works after {daemon} came back", TimeSpan.FromSeconds(40));
        }
        Assert.That(pushpin.Runner.Output, Does.Contain("connmgr: exited unexpectedly (killed by signal 9)"));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Sigterm_closes_held_streams_without_a_reset_and_exits_zero()
    {
        var (received, _) = await StreamAfterSigtermAsync();
        Assert.That(received, Does.StartWith("HTTP/1.1 200 OK").And.Contain("[stream opened]"));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Sigterm_ends_held_streams_with_their_last_chunk()
    {
        var (received, output) = await StreamAfterSigtermAsync();
        Assert.That(received, Does.EndWith("0\r\n\r\n"), "the chunked stream is terminated");
        // connmgr stops last: only after the handler ended its sessions.
        var ended = output.IndexOf("stopping: ended 1 held sessions", StringComparison.Ordinal);
        var connmgr = output.IndexOf("stopping connmgr", StringComparison.Ordinal);
        Assert.That(ended, Is.GreaterThanOrEqualTo(0).And.LessThan(connmgr), output);
    }

    // Opens a stream hold, SIGTERMs the runner, reads to the end (a reset throws here); returns
    // what the client received and the runner's output.
    private static async Task<(string Received, string Output)> StreamAfterSigtermAsync()
    {
        var pushpin = await PushpinCluster.StartAsync(TestRoute);
        try
        {
            using var stream = await OpenStreamAsync(pushpin.HttpPort);
            pushpin.Runner.Signal(15);
            await stream.ReadToEndAsync(TimeSpan.FromSeconds(20));
            Assert.That(await pushpin.Runner.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.Zero, pushpin.Runner.Output);
            return (stream.Received, pushpin.Runner.Output);
        }
        finally
        {
            await pushpin.DisposeAsync();
        }
    }

    private static void Kill(int pid, int signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", $"-{signal} {pid}");
        kill!.WaitForExit();
    }

    private static async Task PublishAsync(PushpinCluster pushpin, string content)
    {
        using var http = new HttpClient();
        using var body = new StringContent($"{{\"items\":[{{\"channel\":\"test\",\"formats\":{{\"http-stream\":{{\"content\":\"{content}\\n\"}}}}}}]}}");
        using var response = await http.PostAsync(pushpin.PublishUri, body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    /// <summary>Opens <c>/stream</c> on the test route and reads until its first chunk arrived.</summary>
    private static async Task<RawStream> OpenStreamAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = new RawStream(client);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var head = await stream.ReadUntilAsync("[stream opened]");
        Assert.That(head, Does.StartWith("HTTP/1.1 200").And.Contain("[stream opened]"));
        return stream;
    }

    /// <summary>A client connection read as text, remembering everything received.</summary>
    private sealed class RawStream(TcpClient client) : IDisposable
    {
        private readonly StringBuilder _received = new();

        public string Received => _received.ToString();

        /// <summary>Reads until the text received so far contains <paramref name="marker"/>; returns what this call read.</summary>
        public async Task<string> ReadUntilAsync(string marker, TimeSpan? timeout = null)
        {
            var start = _received.Length;
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            var buffer = new byte[4096];
            while (!_received.ToString(start, _received.Length - start).Contains(marker, StringComparison.Ordinal))
            {
                int n;
                try
                {
                    n = await client.GetStream().ReadAsync(buffer, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                if (n == 0)
                {
                    break;
                }
                _received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            return _received.ToString(start, _received.Length - start);
        }

        /// <summary>Reads until the server closes (an <see cref="IOException"/> here means a reset).</summary>
        public async Task<string> ReadToEndAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            var start = _received.Length;
            var buffer = new byte[4096];
            int n;
            while ((n = await client.GetStream().ReadAsync(buffer, cts.Token)) > 0)
            {
                _received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            return _received.ToString(start, _received.Length - start);
        }

        public void Dispose() => client.Dispose();
    }
}
