using Microsoft.Extensions.Time.Testing;
using Pushpin.Common.Stats;

namespace Pushpin.ProtocolTests.Stats;

/// <summary>The aggregator's schedule, driven by a fake clock (no sleeps).</summary>
[CancelAfter(20000)]
public sealed class StatsAggregatorUnitTests
{
    private FakeTimeProvider _clock = null!;
    private List<StatsPacket> _sent = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _sent = [];
    }

    private StatsAggregator Create(StatsAggregatorOptions? options = null) =>
        new(options ?? new StatsAggregatorOptions { InstanceId = "handler_1" }, _sent.Add, _clock);

    // Small steps so every timer fires at its own time.
    private void Advance(TimeSpan span)
    {
        var step = TimeSpan.FromMilliseconds(50);
        for (var done = TimeSpan.Zero; done < span; done += step)
        {
            _clock.Advance(step < span - done ? step : span - done);
        }
    }

    private List<StatsPacket> Take()
    {
        var taken = _sent.ToList();
        _sent.Clear();
        return taken;
    }

    private static List<StatsPacket> OfType(IEnumerable<StatsPacket> packets, StatsPacketType type) => packets.Where(p => p.Type == type).ToList();

    [Test]
    public void Activity_is_coalesced_per_route_and_sent_100_ms_after_the_first()
    {
        using var stats = Create();
        stats.AddActivity(null);
        stats.AddActivity(null, 2);
        stats.AddActivity("r1");
        Advance(TimeSpan.FromMilliseconds(99));
        Assert.That(_sent, Is.Empty);
        Advance(TimeSpan.FromMilliseconds(1));
        var activity = OfType(Take(), StatsPacketType.Activity);
        Assert.That(activity, Has.Count.EqualTo(2));
        Assert.That(activity.Single(p => p.Route is null).Count, Is.EqualTo(3));
        Assert.That(activity.Single(p => p.Route == "r1").Count, Is.EqualTo(1));
        Assert.That(activity.All(p => p.From == "handler_1"));

        stats.AddActivity(null, 5);
        Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(OfType(Take(), StatsPacketType.Activity).Single().Count, Is.EqualTo(5));
        Advance(TimeSpan.FromSeconds(1));
        Assert.That(OfType(Take(), StatsPacketType.Activity), Is.Empty, "nothing to flush, nothing sent");
    }

    [Test]
    public void Counts_are_sent_with_the_activity_flush()
    {
        using var stats = Create();
        stats.AddRequestsReceived(2);
        stats.AddRequestsReceived(1);
        Advance(TimeSpan.FromMilliseconds(100));
        var counts = OfType(Take(), StatsPacketType.Counts);
        Assert.That(counts.Single().RequestsReceived, Is.EqualTo(3));
    }

    [Test]
    public void Message_is_sent_at_once()
    {
        using var stats = Create();
        stats.AddMessage("news", "id1", "http-stream", 4);
        var m = Take().Single();
        Assert.That((m.Type, m.Channel, m.ItemId, m.Transport, m.Count), Is.EqualTo((StatsPacketType.Message, "news", "id1", "http-stream", 4L)));
    }

    [Test]
    public void Connection_is_announced_and_refreshed_at_three_quarters_of_its_ttl()
    {
        using var stats = Create();
        stats.AddConnection("c1", null, StatsConnectionType.WebSocket, "10.0.0.1", ssl: true);
        var first = Take().Single();
        Assert.That((first.Type, first.ConnectionId, first.ConnectionType, first.PeerAddress, first.Ssl, first.Ttl),
            Is.EqualTo((StatsPacketType.Connected, "c1", StatsConnectionType.WebSocket, "10.0.0.1", true, 120)));

        var refreshed = new List<string>();
        stats.ConnectionsRefreshed += ids => refreshed.AddRange(ids);
        Advance(TimeSpan.FromSeconds(89));
        Assert.That(OfType(Take(), StatsPacketType.Connected), Is.Empty);
        Advance(TimeSpan.FromSeconds(1));
        Assert.That(OfType(Take(), StatsPacketType.Connected).Single().ConnectionId, Is.EqualTo("c1"));
        Assert.That(refreshed, Is.EqualTo(new[] { "c1" }));
        Advance(TimeSpan.FromSeconds(90));
        Assert.That(OfType(Take(), StatsPacketType.Connected), Has.Count.EqualTo(1), "again 90 s later");
    }

    [Test]
    public void Removed_connection_sends_unavailable_and_is_no_longer_refreshed()
    {
        using var stats = Create();
        stats.AddConnection("c1", "r", StatsConnectionType.Http);
        Take();
        Assert.That(stats.RemoveConnection("c1"), Is.True);
        var gone = Take().Single();
        Assert.That((gone.Type, gone.ConnectionId, gone.Route), Is.EqualTo((StatsPacketType.Disconnected, "c1", "r")));
        Assert.That(stats.RemoveConnection("c1"), Is.False);
        Advance(TimeSpan.FromSeconds(200));
        Assert.That(OfType(Take(), StatsPacketType.Connected), Is.Empty);
        Assert.That(stats.HasConnection("c1"), Is.False);
    }

    [Test]
    public void Lingering_removal_sends_nothing_and_drops_the_connection_after_the_linger()
    {
        using var stats = Create(new StatsAggregatorOptions { InstanceId = "proxy_1", ConnectionLinger = TimeSpan.FromSeconds(60) });
        stats.AddConnection("c1", null, StatsConnectionType.Http);
        Take();
        Assert.That(stats.RemoveConnection("c1", linger: true), Is.True);
        Advance(TimeSpan.FromSeconds(59));
        Assert.That(_sent.Where(p => p.Type is StatsPacketType.Connected or StatsPacketType.Disconnected), Is.Empty, "no unavailable and no refresh while lingering");
        Assert.That(stats.HasConnection("c1"), Is.True);
        Advance(TimeSpan.FromSeconds(1));
        Assert.That(stats.HasConnection("c1"), Is.False);
        Assert.That(OfType(Take(), StatsPacketType.Disconnected), Is.Empty, "the new owner announces it");
    }

    [Test]
    public void Peer_conn_takes_over_a_lingering_local_connection_without_being_forwarded()
    {
        using var stats = Create();
        stats.AddConnection("c1", null, StatsConnectionType.Http);
        stats.RemoveConnection("c1", linger: true);
        Take();
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Connected, From = "proxy_1", ConnectionId = "c1", Ttl = 120 });
        Assert.That(_sent, Is.Empty, "replacing our own lingering entry: not forwarded");
        Assert.That((stats.ConnectionCount, stats.ExternalConnectionCount), Is.EqualTo((0, 1)));
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Connected, From = "proxy_1", ConnectionId = "c2", Ttl = 120 });
        Assert.That(Take().Single().ConnectionId, Is.EqualTo("c2"), "an unknown connection is forwarded");
    }

    [Test]
    public void Connection_send_off_sends_no_conn_packets()
    {
        using var stats = Create(new StatsAggregatorOptions { InstanceId = "p", ConnectionSend = false });
        stats.AddConnection("c1", null, StatsConnectionType.Http);
        stats.RefreshConnection("c1");
        stats.RemoveConnection("c1");
        Assert.That(_sent, Is.Empty);
    }

    [Test]
    public void Subscription_is_announced_refreshed_at_45_s_and_removed_with_unavailable()
    {
        using var stats = Create();
        stats.AddSubscription("stream", "news", 1);
        var sub = Take().Single();
        Assert.That((sub.Type, sub.Mode, sub.Channel, sub.Subscribers, sub.Ttl), Is.EqualTo((StatsPacketType.Subscribed, "stream", "news", (long?)1, 60)));
        Advance(TimeSpan.FromSeconds(44));
        Assert.That(OfType(Take(), StatsPacketType.Subscribed), Is.Empty);
        Advance(TimeSpan.FromSeconds(1));
        Assert.That(OfType(Take(), StatsPacketType.Subscribed), Has.Count.EqualTo(1));

        string? unsubscribed = null;
        stats.Unsubscribed += (mode, channel) => unsubscribed = mode + "/" + channel;
        stats.RemoveSubscription("stream", "news", linger: false);
        var gone = Take().Single();
        Assert.That((gone.Type, gone.Channel), Is.EqualTo((StatsPacketType.Unsubscribed, "news")));
        Assert.That(unsubscribed, Is.EqualTo("stream/news"));
        Advance(TimeSpan.FromSeconds(100));
        Assert.That(OfType(Take(), StatsPacketType.Subscribed), Is.Empty);
    }

    [Test]
    public void Changed_subscriber_count_is_sent_at_the_next_refresh_tick()
    {
        using var stats = Create();
        stats.AddSubscription("ws", "c", 1);
        Take();
        stats.AddSubscription("ws", "c", 1);
        Advance(TimeSpan.FromSeconds(2));
        Assert.That(_sent, Is.Empty, "same count: nothing new to say");
        stats.AddSubscription("ws", "c", 3);
        Assert.That(_sent, Is.Empty);
        Advance(TimeSpan.FromSeconds(1));
        Assert.That(Take().Single().Subscribers, Is.EqualTo(3));
    }

    [Test]
    public void Lingering_removal_sends_unavailable_after_the_linger_unless_resubscribed()
    {
        using var stats = Create(new StatsAggregatorOptions { InstanceId = "h", SubscriptionLinger = TimeSpan.FromSeconds(10) });
        var unsubscribed = new List<string>();
        stats.Unsubscribed += (_, channel) => unsubscribed.Add(channel);
        stats.AddSubscription("response", "a", 1);
        stats.AddSubscription("response", "b", 1);
        Take();
        stats.RemoveSubscription("response", "a", linger: true);
        stats.RemoveSubscription("response", "b", linger: true);
        Advance(TimeSpan.FromSeconds(5));
        stats.AddSubscription("response", "b", 1);
        Assert.That(Take().Single().Type, Is.EqualTo(StatsPacketType.Subscribed), "back from lingering: announced again");
        Advance(TimeSpan.FromSeconds(4));
        Assert.That(OfType(Take(), StatsPacketType.Unsubscribed), Is.Empty);
        Advance(TimeSpan.FromSeconds(1));
        var gone = OfType(Take(), StatsPacketType.Unsubscribed);
        Assert.That(gone.Single().Channel, Is.EqualTo("a"));
        Assert.That(unsubscribed, Is.EqualTo(new[] { "a" }));
        Assert.That(stats.SubscriptionCount, Is.EqualTo(1));
    }

    [Test]
    public void Report_is_sent_every_interval_per_route_with_every_counter()
    {
        using var stats = Create(new StatsAggregatorOptions { InstanceId = "h", ReportInterval = TimeSpan.FromSeconds(5) });
        stats.AddConnection("c1", null, StatsConnectionType.Http);
        stats.AddConnection("c2", null, StatsConnectionType.Http);
        stats.RemoveConnection("c2");
        stats.AddMessageReceived(null);
        stats.AddMessageSent(null, "http-response");
        stats.AddMessageSent(null, "ws-message", blocks: 3);
        stats.IncrementCounter(null, StatsCounter.ClientHeaderBytesReceived, 174);
        stats.IncrementCounter("other", StatsCounter.ServerMessagesSent);
        Take();
        Advance(TimeSpan.FromMilliseconds(4999));
        Assert.That(OfType(Take(), StatsPacketType.Report), Is.Empty);
        Advance(TimeSpan.FromMilliseconds(1));
        var reports = OfType(Take(), StatsPacketType.Report);
        Assert.That(reports, Has.Count.EqualTo(2));
        var r = reports.Single(p => p.Route is null);
        Assert.Multiple(() =>
        {
            Assert.That(r.From, Is.EqualTo("h"));
            Assert.That(r.ConnectionsMax, Is.EqualTo(2), "most concurrent in the interval");
            Assert.That(r.ConnectionsMinutes, Is.EqualTo(2), "a minute counted at once per connection");
            Assert.That(r.MessagesReceived, Is.EqualTo(1));
            Assert.That(r.MessagesSent, Is.EqualTo(2));
            Assert.That(r.HttpResponseMessagesSent, Is.EqualTo(1));
            Assert.That(r.BlocksSent, Is.EqualTo(3));
            Assert.That(r.BlocksReceived, Is.Null);
            Assert.That(r.Duration, Is.EqualTo(5000));
            Assert.That(r.Counters![StatsCounter.ClientHeaderBytesReceived], Is.EqualTo(174));
            Assert.That(StatsCounters.All.All(c => r.Counters[c] is not null), "every counter is present");
        });
        Assert.That(reports.Single(p => p.Route == "other").Counters![StatsCounter.ServerMessagesSent], Is.EqualTo(1));

        Advance(TimeSpan.FromSeconds(5));
        reports = OfType(Take(), StatsPacketType.Report);
        var next = reports.Single(p => p.Route is null);
        Assert.That((next.ConnectionsMax, next.ConnectionsMinutes, next.MessagesSent), Is.EqualTo(((long?)1, (long?)0, (long?)0)), "a new interval starts from the current count");
        Assert.That(reports.Select(p => p.Route), Is.EqualTo(new string?[] { null }), "a route with nothing left to count is dropped after its last report");
    }

    [Test]
    public void Connection_minutes_add_up_to_the_minutes_started()
    {
        using var stats = Create(new StatsAggregatorOptions { InstanceId = "h", ReportInterval = TimeSpan.FromSeconds(10) });
        stats.AddConnection("c1", null, StatsConnectionType.Http);
        Advance(TimeSpan.FromSeconds(150));
        stats.RemoveConnection("c1");
        Advance(TimeSpan.FromSeconds(10));
        var minutes = OfType(Take(), StatsPacketType.Report).Sum(p => p.ConnectionsMinutes ?? 0);
        Assert.That(minutes, Is.EqualTo(3), "150 s is three started minutes");
    }

    [Test]
    public void Report_interval_zero_sends_no_reports()
    {
        using var stats = Create(new StatsAggregatorOptions { InstanceId = "h", ReportInterval = TimeSpan.Zero });
        stats.AddMessageSent(null, "ws-message");
        Advance(TimeSpan.FromSeconds(30));
        Assert.That(OfType(Take(), StatsPacketType.Report), Is.Empty);
    }

    [Test]
    public void Peer_conn_packets_are_republished_under_our_id_and_counted_until_they_expire()
    {
        using var stats = Create(new StatsAggregatorOptions { InstanceId = "handler_1", ReportInterval = TimeSpan.FromSeconds(10), ConnectionTtl = TimeSpan.FromSeconds(20) });
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Connected, From = "proxy_1", ConnectionId = "x1", Ttl = 20, PeerAddress = "127.0.0.1" });
        var forwarded = Take().Single();
        Assert.That((forwarded.Type, forwarded.From, forwarded.ConnectionId, forwarded.PeerAddress), Is.EqualTo((StatsPacketType.Connected, "handler_1", "x1", "127.0.0.1")));
        Assert.That(stats.ExternalConnectionCount, Is.EqualTo(1));
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Activity, From = "proxy_1", Count = 4 });
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Counts, From = "proxy_1", RequestsReceived = 2 });
        var peerCounters = new StatsCounters { [StatsCounter.ClientHeaderBytesReceived] = 100 };
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Report, From = "proxy_1", ConnectionsMinutes = 7, Counters = peerCounters });
        Advance(TimeSpan.FromMilliseconds(100));
        var flushed = Take();
        Assert.That(OfType(flushed, StatsPacketType.Activity).Single().Count, Is.EqualTo(4));
        Assert.That(OfType(flushed, StatsPacketType.Counts).Single().RequestsReceived, Is.EqualTo(2));
        Assert.That(OfType(flushed, StatsPacketType.Report), Is.Empty, "a peer's report is merged, not forwarded");

        Advance(TimeSpan.FromMilliseconds(9900));
        var report = OfType(Take(), StatsPacketType.Report).Single();
        Assert.That(report.ConnectionsMax, Is.EqualTo(1));
        Assert.That(report.ConnectionsMinutes, Is.EqualTo(1), "peer minutes are not merged while connections are tracked one by one");
        Assert.That(report.Counters![StatsCounter.ClientHeaderBytesReceived], Is.EqualTo(100));

        Advance(TimeSpan.FromSeconds(11));
        Assert.That(stats.ExternalConnectionCount, Is.Zero, "not refreshed within the ttl: gone");
    }

    [Test]
    public void Peer_disconnect_is_forwarded_and_forgets_the_connection()
    {
        using var stats = Create();
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Connected, From = "proxy_1", ConnectionId = "x1", Ttl = 120 });
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Disconnected, From = "proxy_1", ConnectionId = "x1" });
        var sent = Take();
        Assert.That(sent.Select(p => p.Type), Is.EqualTo(new[] { StatsPacketType.Connected, StatsPacketType.Disconnected }));
        Assert.That(sent.All(p => p.From == "handler_1"));
        Assert.That(stats.ExternalConnectionCount, Is.Zero);
    }

    [Test]
    public void Local_connection_replaces_the_peer_entry_with_the_same_id()
    {
        using var stats = Create();
        stats.MergeFromPeer(new StatsPacket { Type = StatsPacketType.Connected, From = "proxy_1", ConnectionId = "x1", Ttl = 120 });
        stats.AddConnection("x1", null, StatsConnectionType.Http);
        Assert.That(stats.ExternalConnectionCount, Is.Zero);
        Assert.That(stats.ConnectionCount, Is.EqualTo(1));
    }

    [Test]
    public void Conn_max_is_produced_on_change_after_100_ms_when_enabled()
    {
        using var stats = Create(new StatsAggregatorOptions { InstanceId = "proxy_1", ConnectionSend = false, ConnectionsMaxSend = true, ConnectionsMaxTtl = TimeSpan.FromSeconds(60) });
        var maxes = new List<StatsPacket>();
        stats.ConnectionsMaxReady += maxes.Add;
        stats.SetRetrySeq(null, 4);
        stats.AddConnection("a", null, StatsConnectionType.Http);
        stats.AddConnection("b", null, StatsConnectionType.Http);
        Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(maxes.Select(p => (p.ConnectionsMax, p.Ttl, p.RetrySeq)), Is.EqualTo(new[] { ((long?)2, 60, (long?)4) }));
        stats.RemoveConnection("a");
        Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(maxes.Select(p => p.ConnectionsMax), Is.EqualTo(new long?[] { 2, 1 }));
        Advance(TimeSpan.FromSeconds(45));
        Assert.That(maxes, Has.Count.EqualTo(3), "refreshed at 3/4 of its ttl");
        Assert.That(_sent.Where(p => p.Type is StatsPacketType.ConnectionsMax or StatsPacketType.Connected), Is.Empty, "conn-max goes to the event, not to the stats socket");
    }

    [Test]
    public void Disposed_aggregator_sends_nothing_more()
    {
        var stats = Create();
        stats.AddActivity(null);
        stats.Dispose();
        Advance(TimeSpan.FromSeconds(1));
        Assert.That(_sent, Is.Empty);
    }
}
