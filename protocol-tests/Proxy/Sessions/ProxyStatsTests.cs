using System.Collections.Concurrent;
using NUnit.Framework;
using Pushpin.Common.Stats;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary>What the proxy engine tells its stats aggregator, over real zhttp sockets.</summary>
[TestFixture]
[CancelAfter(30000)]
public sealed class ProxyStatsTests
{
    private readonly ConcurrentQueue<StatsPacket> _packets = new();

    [SetUp]
    public void SetUp() => _packets.Clear();

    private StatsAggregator NewStats() => new(
        new StatsAggregatorOptions { InstanceId = "proxy_test", ReportInterval = TimeSpan.Zero },
        _packets.Enqueue);

    [Test]
    public async Task A_request_is_a_conn_until_it_ends_and_counts_as_received_and_activity()
    {
        using var stats = NewStats();
        await using var h = await ProxyHarness.StartAsync(["* test"], stats: stats);
        await Eventually.TrueAsync(() => _packets.Any(p => p.Type == StatsPacketType.Counts), "warm-up counts flushed");
        _packets.Clear();

        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/", Headers = [new("Host", "example.com")] });
        var (first, _) = await h.ReadResponseAsync(id);
        Assert.That(first.Code, Is.EqualTo(200));

        await Eventually.TrueAsync(() => _packets.Any(p => p.Type == StatsPacketType.Disconnected && p.ConnectionId == "connmgr:" + id), "conn unavailable when the request ends");
        var conn = _packets.First(p => p.Type == StatsPacketType.Connected);
        Assert.That((conn.From, conn.ConnectionId, conn.ConnectionType, conn.PeerAddress), Is.EqualTo(("proxy_test", "connmgr:" + id, StatsConnectionType.Http, "127.0.0.1")));
        await Eventually.TrueAsync(() => _packets.Any(p => p.Type == StatsPacketType.Counts && p.RequestsReceived == 1), "counts with requests-received 1");
        await Eventually.TrueAsync(() => _packets.Any(p => p.Type == StatsPacketType.Activity && p.Count == 1), "activity 1");
    }

    [Test]
    public async Task An_accepted_handoff_leaves_the_conn_to_the_handler_without_unavailable()
    {
        using var stats = NewStats();
        await using var h = await ProxyHarness.StartAsync(["* test"], stats: stats);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/stream", Headers = [new("Host", "example.com")] });
        var start = await h.ExpectFromProxyAsync(id);
        Assert.That(start.Type, Is.EqualTo(ZhttpPacketType.HandoffStart));
        h.SendMore(id, 1, new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed });
        var call = await h.ExpectAcceptCallAsync();
        call.Ok(new Dictionary<string, object?> { ["accepted"] = true });

        await Eventually.TrueAsync(() => h.Engine.SessionCount == 0, "session dropped after the accept");
        Assert.That(_packets.Any(p => p.Type == StatsPacketType.Connected && p.ConnectionId == "connmgr:" + id), Is.True);
        Assert.That(_packets.Any(p => p.Type == StatsPacketType.Disconnected && p.ConnectionId == "connmgr:" + id), Is.False, "the handler's conn (same id) takes over");
        Assert.That(stats.HasConnection("connmgr:" + id), Is.True, "kept counted while it lingers");
    }
}
