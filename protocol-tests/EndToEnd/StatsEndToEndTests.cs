using System.Collections.Concurrent;
using System.Net;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Stats;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd;

/// <summary>
/// Stats through the real runner: the handler's stats socket (with the proxy's stats merged in)
/// shows a held stream session as <c>conn</c> and <c>sub</c>, a publish as <c>message</c>, and the
/// client leaving as <c>conn</c> unavailable; both a NetMQ SUB and <c>pushpin-stats --raw</c> see it.
/// </summary>
[NonParallelizable]
[CancelAfter(120000)]
public sealed class StatsEndToEndTests
{
    [Test]
    public async Task Stream_hold_is_seen_as_conn_sub_message_and_unavailable_on_the_stats_socket()
    {
        await using var pushpin = await PushpinCluster.StartAsync(["* test"], "stats_report_interval = 1");
        var statsSpec = $"tcp://127.0.0.1:{pushpin.StatsPort}";
        await using var monitor = ChildProcess.Start(Artifacts.Executable("pushpin-stats"), ["--raw", "--spec", statsSpec]);

        // The SUB socket lives on its own thread (NetMQ sockets are single-threaded).
        var packets = new ConcurrentQueue<StatsPacket>();
        using var stopReader = new CancellationTokenSource();
        var reader = new Thread(() =>
        {
            using var sub = new SubscriberSocket();
            sub.SubscribeToAnyTopic();
            sub.Connect(statsSpec);
            while (!stopReader.IsCancellationRequested)
            {
                if (sub.TryReceiveFrameBytes(TimeSpan.FromMilliseconds(100), out var frame) && StatsCodec.TryDecode(frame, out var packet, out _))
                {
                    packets.Enqueue(packet!);
                }
            }
        }) { IsBackground = true, Name = "stats reader" };
        reader.Start();
        try
        {
            using var http = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(5) };

            // PUB drops what is sent before a subscriber joins: wait until both subscribers see
            // traffic (the proxy's activity for a plain request, merged by the handler).
            await Eventually.TrueAsync(async () =>
            {
                using var plain = await http.GetAsync(new Uri("/", UriKind.Relative));
                return !packets.IsEmpty && monitor.Lines.Any(l => l.StartsWith("{\"type\":", StringComparison.Ordinal));
            }, $"stats flowing to both subscribers\n{pushpin.Runner.Output}\n{monitor.Output}", TimeSpan.FromSeconds(30));

            // Conns seen so far belong to the warm-up requests (the proxy's, merged by the handler).
            var before = packets.Where(p => p.Type == StatsPacketType.Connected).Select(p => p.ConnectionId).ToHashSet();
            using var holdClient = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
            var hold = await holdClient.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            Assert.That(hold.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            var body = new StreamReader(await hold.Content.ReadAsStreamAsync());
            Assert.That(await body.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("[stream opened]"));

            await Eventually.TrueAsync(
                () => HoldConn(packets, before) is not null
                    && packets.Any(p => p.Type == StatsPacketType.Subscribed && p.Mode == "stream" && p.Channel == "test" && p.Subscribers == 1),
                $"conn and sub for the hold\n{Dump(packets)}", TimeSpan.FromSeconds(15));
            var conn = HoldConn(packets, before)!;
            Assert.That(conn.ConnectionType, Is.EqualTo(StatsConnectionType.Http));
            Assert.That(conn.PeerAddress, Is.EqualTo("127.0.0.1"));
            Assert.That(conn.Ttl, Is.GreaterThan(0));
            Assert.That(conn.ConnectionId, Does.Contain(':'), "cid is <from>:<id>");

            using (var publisher = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            using (var content = new StringContent("""{"items":[{"channel":"test","id":"m1","formats":{"http-stream":{"content":"hi\n"}}}]}""", Encoding.UTF8, "application/json"))
            using (var published = await publisher.PostAsync(pushpin.PublishUri, content))
            {
                Assert.That(published.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }
            Assert.That(await body.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("hi"));
            await Eventually.TrueAsync(
                () => packets.Any(p => p.Type == StatsPacketType.Message && p.Channel == "test" && p.ItemId == "m1" && p.Transport == "http-stream" && p.Count == 1),
                $"message for the publish\n{Dump(packets)}", TimeSpan.FromSeconds(15));

            // The client leaves: connmgr cancels the session and the handler reports it gone.
            body.Dispose();
            hold.Dispose();
            holdClient.Dispose();
            await Eventually.TrueAsync(
                () => packets.Any(p => p.Type == StatsPacketType.Disconnected && p.ConnectionId == conn.ConnectionId),
                $"conn unavailable after the client left\n{Dump(packets)}", TimeSpan.FromSeconds(15));

            // pushpin-stats --raw printed the same messages.
            await Eventually.TrueAsync(
                () => RawHas(monitor, "conn", conn.ConnectionId!, unavailable: false)
                    && RawHas(monitor, "sub", "\"channel\":\"test\"", unavailable: false)
                    && RawHas(monitor, "message", "\"item-id\":\"m1\"", unavailable: false)
                    && RawHas(monitor, "conn", conn.ConnectionId!, unavailable: true),
                $"pushpin-stats --raw lines\n{monitor.Output}", TimeSpan.FromSeconds(15));
        }
        finally
        {
            await stopReader.CancelAsync();
            reader.Join(TimeSpan.FromSeconds(5));
        }
    }

    private static StatsPacket? HoldConn(IEnumerable<StatsPacket> packets, HashSet<string?> before) =>
        packets.FirstOrDefault(p => p.Type == StatsPacketType.Connected && !before.Contains(p.ConnectionId)
            && p.From is not null && p.From.StartsWith("handler_", StringComparison.Ordinal));

    private static bool RawHas(ChildProcess monitor, string type, string text, bool unavailable) =>
        monitor.Lines.Any(l => l.StartsWith($"{{\"type\":\"{type}\"", StringComparison.Ordinal)
            && l.Contains(text, StringComparison.Ordinal)
            && l.Contains("\"unavailable\"", StringComparison.Ordinal) == unavailable);

    private static string Dump(IEnumerable<StatsPacket> packets) =>
        string.Join('\n', packets.Select(p => $"{p.Type} from={p.From} cid={p.ConnectionId} mode={p.Mode} channel={p.Channel} subs={p.Subscribers} item={p.ItemId} transport={p.Transport} count={p.Count}"));
}
