using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.Stats;
using Pushpin.Common.Transport;
using Pushpin.ProtocolTests.Interop;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Stats;

/// <summary>
/// A real <see cref="StatsPublisher"/> on a free tcp port, read by the real pushpin-stats
/// executable and by a libzmq (python3-zmq) subscriber.
/// </summary>
[CancelAfter(60000)]
public sealed class StatsPublisherTests
{
    private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Stats", name);

    private static StatsPacket[] SamplePackets() =>
    [
        new() { Type = StatsPacketType.Connected, From = "handler_7", ConnectionId = "c-1", ConnectionType = StatsConnectionType.WebSocket, PeerAddress = "127.0.0.1", Ttl = 120 },
        new() { Type = StatsPacketType.Subscribed, From = "handler_7", Mode = "stream", Channel = "news", Ttl = 60, Subscribers = 2 },
        new() { Type = StatsPacketType.Message, From = "handler_7", Channel = "news", ItemId = "m1", Transport = "http-stream", Count = 2 },
        new() { Type = StatsPacketType.Report, From = "handler_7", ConnectionsMax = 1, ConnectionsMinutes = 1, MessagesReceived = 1, MessagesSent = 2, HttpResponseMessagesSent = 0, Duration = 10000, Counters = StatsCounters.FromValues(new long[12]) },
    ];

    // A SUB that just connected misses what was published before the handshake (slow joiner):
    // publish a marker until the reader shows it, then the real packets.
    private static async Task PublishUntilSeenAsync(StatsPublisher publisher, ChildProcess reader, string marker)
    {
        var probe = new StatsPacket { Type = StatsPacketType.Activity, From = marker, Count = 1 };
        await Eventually.TrueAsync(() =>
        {
            publisher.Publish(probe);
            return reader.Lines.Any(l => l.Contains(marker, StringComparison.Ordinal));
        }, $"reader saw {marker}\n{reader.Output}");
    }

    [TestCase(StatsFormat.TnetString)]
    [TestCase(StatsFormat.Json)]
    public async Task Pushpin_stats_raw_prints_each_message_as_one_json_line(StatsFormat format)
    {
        var port = FreePorts.One();
        using var publisher = new StatsPublisher($"tcp://127.0.0.1:{port}", format, NullLogger.Instance);
        publisher.Start();
        await using var monitor = ChildProcess.Start(Artifacts.Executable("pushpin-stats"), ["--raw", "--spec", $"tcp://127.0.0.1:{port}"]);
        await PublishUntilSeenAsync(publisher, monitor, "probe_1");
        foreach (var p in SamplePackets())
        {
            publisher.Publish(p);
        }
        await monitor.WaitForLineAsync("\"type\":\"report\"");
        var lines = monitor.Lines.Where(l => l.StartsWith('{') && !l.Contains("probe_1", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(lines.Select(l => (string?)l["type"]), Is.EqualTo(new[] { "conn", "sub", "message", "report" }));
        Assert.Multiple(() =>
        {
            Assert.That((string?)lines[0]["id"], Is.EqualTo("c-1"));
            Assert.That((string?)lines[0]["conn-type"], Is.EqualTo("ws"));
            Assert.That((int?)lines[0]["ttl"], Is.EqualTo(120));
            Assert.That((string?)lines[1]["channel"], Is.EqualTo("news"));
            Assert.That((int?)lines[1]["subscribers"], Is.EqualTo(2));
            Assert.That((string?)lines[2]["item-id"], Is.EqualTo("m1"));
            Assert.That((int?)lines[3]["duration"], Is.EqualTo(10000));
            Assert.That((int?)lines[3]["server-messages-sent"], Is.Zero);
            Assert.That(lines.All(l => (string?)l["from"] == "handler_7"));
        });

        monitor.Signal(2);
        Assert.That(await monitor.WaitForExitAsync(TimeSpan.FromSeconds(10)), Is.Zero, "SIGINT exits 0");
    }

    [Test]
    public async Task Pushpin_stats_table_shows_connections_subscriptions_and_messages()
    {
        var port = FreePorts.One();
        using var publisher = new StatsPublisher($"tcp://127.0.0.1:{port}", StatsFormat.TnetString, NullLogger.Instance);
        publisher.Start();
        await using var monitor = ChildProcess.Start(Artifacts.Executable("pushpin-stats"), ["--spec", $"tcp://127.0.0.1:{port}", "--interval", "0.2"]);
        await PublishUntilSeenAsync(publisher, monitor, "probe_2");
        foreach (var p in SamplePackets())
        {
            publisher.Publish(p);
        }
        await Eventually.TrueAsync(() => monitor.Lines.Any(l => l.StartsWith("news", StringComparison.Ordinal) && l.Contains("stream", StringComparison.Ordinal)), $"a table row for news\n{monitor.Output}");
        await monitor.WaitForLineAsync("last report (handler_7");
        var row = monitor.Lines.Last(l => l.StartsWith("news", StringComparison.Ordinal));
        Assert.That(row.Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "news", "stream", "2", "1", "2" }));
        Assert.That(monitor.Lines.Any(l => l.StartsWith("connections", StringComparison.Ordinal) && l.Contains("ws 1", StringComparison.Ordinal)), Is.True, monitor.Output);
        monitor.Signal(15);
        Assert.That(await monitor.WaitForExitAsync(TimeSpan.FromSeconds(10)), Is.Zero, "SIGTERM exits 0");
    }

    [TestCase(StatsFormat.TnetString)]
    [TestCase(StatsFormat.Json)]
    public async Task Libzmq_subscriber_decodes_what_we_publish(StatsFormat format)
    {
        var port = FreePorts.One();
        using var publisher = new StatsPublisher($"tcp://127.0.0.1:{port}", format, NullLogger.Instance);
        publisher.Start();
        await using var peer = ChildProcess.Start(ZhttpLibzmqInteropTests.Python, [Script("stats_sub.py"), $"tcp://127.0.0.1:{port}", "200"]);
        await peer.WaitForLineAsync("ready");
        await PublishUntilSeenAsync(publisher, peer, "probe_3");
        foreach (var p in SamplePackets())
        {
            publisher.Publish(p);
        }
        await peer.WaitForLineAsync("report {");
        var byType = peer.Lines.Where(l => !l.Contains("probe_3", StringComparison.Ordinal) && l.Contains('{', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(' ', StringComparison.Ordinal)], l => JsonNode.Parse(l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..])!);
        Assert.That(byType.Keys, Is.EquivalentTo(new[] { "conn", "sub", "message", "report" }));
        Assert.Multiple(() =>
        {
            Assert.That((string?)byType["conn"]["type"], Is.EqualTo("ws"));
            Assert.That((string?)byType["conn"]["peer-address"], Is.EqualTo("127.0.0.1"));
            Assert.That((int?)byType["sub"]["ttl"], Is.EqualTo(60));
            Assert.That((string?)byType["message"]["transport"], Is.EqualTo("http-stream"));
            Assert.That((int?)byType["message"]["count"], Is.EqualTo(2));
            Assert.That((int?)byType["report"]["sent"], Is.EqualTo(2));
            Assert.That(byType["report"].AsObject().Count, Is.EqualTo(19), "from, connections, minutes, received, sent, http-response-sent, duration and the 12 counters (no blocks)");
        });
    }

    [Test]
    public async Task Subscriber_reads_a_publisher_and_drops_bad_frames()
    {
        var port = FreePorts.One();
        using var publisher = new StatsPublisher($"tcp://127.0.0.1:{port}", StatsFormat.Json, NullLogger.Instance);
        publisher.Start();
        using var subscriber = new StatsSubscriber([$"tcp://127.0.0.1:{port}"], NullLogger.Instance, ["activity", "report"]);
        subscriber.Start();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        // Slow joiner: publish until the first one arrives.
        StatsPacket? first = null;
        await Eventually.TrueAsync(() =>
        {
            publisher.Publish(new StatsPacket { Type = StatsPacketType.Activity, From = "probe", Count = 1 });
            return subscriber.Incoming.TryRead(out first);
        }, "subscriber connected");
        Assert.That(first!.From, Is.EqualTo("probe"));
        publisher.PublishFrame("activity Tgarbage"u8.ToArray());
        publisher.Publish(new StatsPacket { Type = StatsPacketType.Counts, From = "filtered-out", RequestsReceived = 1 });
        publisher.Publish(new StatsPacket { Type = StatsPacketType.Report, From = "proxy_1", MessagesSent = 3 });
        StatsPacket next;
        do
        {
            next = await subscriber.Incoming.ReadAsync(cts.Token);
        }
        while (next.From == "probe");
        Assert.That((next.Type, next.From, next.MessagesSent), Is.EqualTo((StatsPacketType.Report, "proxy_1", (long?)3)));
        Assert.That(subscriber.Invalid, Is.EqualTo(1));
    }

    [Test]
    public void Bind_failure_names_the_spec()
    {
        var port = FreePorts.One();
        using var first = new StatsPublisher($"tcp://127.0.0.1:{port}", StatsFormat.TnetString, NullLogger.Instance);
        var ex = Assert.Throws<SocketBindException>(() => _ = new StatsPublisher($"tcp://127.0.0.1:{port}", StatsFormat.TnetString, NullLogger.Instance));
        Assert.That(ex!.Message, Does.Contain($"tcp://127.0.0.1:{port}"));
        Assert.That(() => new StatsPublisher("ipc:///tmp/stats", StatsFormat.TnetString, NullLogger.Instance), Throws.ArgumentException.With.Message.Contain("tcp://127.0.0.1:PORT"));
    }

    [Test]
    public async Task Aggregator_feeds_the_publisher_end_to_end()
    {
        var port = FreePorts.One();
        using var publisher = new StatsPublisher($"tcp://127.0.0.1:{port}", StatsFormat.TnetString, NullLogger.Instance);
        publisher.Start();
        using var stats = new StatsAggregator(new StatsAggregatorOptions { InstanceId = "handler_9" }, publisher.Publish);
        await using var peer = ChildProcess.Start(ZhttpLibzmqInteropTests.Python, [Script("stats_sub.py"), $"tcp://127.0.0.1:{port}", "500"]);
        await peer.WaitForLineAsync("ready");
        await PublishUntilSeenAsync(publisher, peer, "probe_4");
        stats.AddActivity(null, 3);
        stats.AddSubscription("ws", "room", 1);
        await peer.WaitForLineAsync("activity {\"count\": 3, \"from\": \"handler_9\"}");
        Assert.That(peer.Lines, Has.Some.EqualTo("sub {\"channel\": \"room\", \"from\": \"handler_9\", \"mode\": \"ws\", \"subscribers\": 1, \"ttl\": 60}"));
    }
}
