using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.Stats;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Sessions;
using Pushpin.Handler.Variants;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>What the handler engine tells its stats aggregator about held sessions and deliveries.</summary>
[TestFixture]
[CancelAfter(20000)]
public sealed class HandlerStatsUnitTests
{
    private sealed class NullSender : IZhttpSender
    {
        public void Send(string requesterId, ZhttpPacket packet, bool routerResp)
        {
        }
    }

    private readonly ConcurrentQueue<StatsPacket> _packets = new();
    private StatsAggregator _stats = null!;
    private HandlerEngine _engine = null!;

    [SetUp]
    public void SetUp()
    {
        _packets.Clear();
        _stats = new StatsAggregator(
            new StatsAggregatorOptions { InstanceId = "handler_u", SubscriptionLinger = TimeSpan.FromMilliseconds(200), ReportInterval = TimeSpan.Zero },
            _packets.Enqueue);
        _engine = new HandlerEngine(new SessionContext("handler_u", new NullSender(), TimeProvider.System, NullLogger.Instance)) { Stats = _stats };
    }

    [TearDown]
    public void TearDown() => _stats.Dispose();

    private static readonly (string, string)[] Stream = [("Grip-Hold", "stream"), ("Grip-Channel", "c")];

    private void Accept(string id, (string, string)[] headers)
    {
        var request = HandlerHarness.Request(id);
        request["peer-address"] = "192.0.2.7"u8.ToArray();
        var r = _engine.HandleAccept("1", HandlerHarness.AcceptArgs(request, 200, "OK", headers, string.Empty));
        Assert.That(r.Success, Is.True, r.Condition);
        _engine.StartAccepted();
    }

    private static PublishItem Item(string json)
    {
        Assert.That(JsonVariant.TryParse(Encoding.UTF8.GetBytes(json), out var v), Is.True);
        Assert.That(PublishItemParser.TryParse(v, null, out var item, out var error), Is.True, error);
        return item!;
    }

    [Test]
    public async Task Held_sessions_are_conns_with_from_colon_id_and_one_sub_per_channel_and_mode()
    {
        Accept("a", Stream);
        Accept("b", Stream);

        var conns = _packets.Where(p => p.Type == StatsPacketType.Connected).ToList();
        Assert.That(conns.Select(p => p.ConnectionId), Is.EqualTo(new[] { "connmgr:a", "connmgr:b" }));
        Assert.That(conns.Select(p => (p.From, p.Route, p.ConnectionType, p.PeerAddress)).Distinct(),
            Is.EqualTo(new[] { ("handler_u", "test", StatsConnectionType.Http, "192.0.2.7") }));
        Assert.That(conns[0].Ttl, Is.EqualTo(120));

        var sub = _packets.Single(p => p.Type == StatsPacketType.Subscribed);
        Assert.That((sub.Mode, sub.Channel, sub.Subscribers), Is.EqualTo(("stream", "c", 1L)));
        // The count change goes out at the next refresh tick.
        await Eventually.TrueAsync(() => _packets.Any(p => p.Type == StatsPacketType.Subscribed && p.Subscribers == 2), "sub with 2 subscribers", TimeSpan.FromSeconds(5));
    }

    [Test]
    public void Response_holds_subscribe_in_response_mode()
    {
        Accept("a", [("Grip-Hold", "response"), ("Grip-Channel", "r")]);
        var sub = _packets.Single(p => p.Type == StatsPacketType.Subscribed);
        Assert.That((sub.Mode, sub.Channel), Is.EqualTo(("response", "r")));
    }

    [Test]
    public void A_publish_is_one_message_with_its_id_transport_and_receiver_count()
    {
        Accept("a", Stream);
        Accept("b", Stream);
        _engine.Publish(Item("""{"channel":"c","id":"m1","formats":{"http-stream":{"content":"x"}}}"""));
        _engine.Publish(Item("""{"channel":"nobody","id":"m2","formats":{"http-stream":{"content":"x"}}}"""));

        var message = _packets.Single(p => p.Type == StatsPacketType.Message);
        Assert.That((message.From, message.Channel, message.ItemId, message.Transport, message.Count), Is.EqualTo(("handler_u", "c", "m1", "http-stream", 2L)));
    }

    [Test]
    public async Task An_ended_session_goes_unavailable_and_its_channel_unsubscribes_after_the_linger()
    {
        Accept("a", Stream);
        _engine.HandlePacket(new ZhttpPacket { From = "connmgr", Type = ZhttpPacketType.Cancel, Id = "a", Seq = 1 });

        var gone = _packets.Single(p => p.Type == StatsPacketType.Disconnected);
        Assert.That(gone.ConnectionId, Is.EqualTo("connmgr:a"));
        Assert.That(_engine.SessionCount, Is.Zero);
        await Eventually.TrueAsync(() => _packets.Any(p => p.Type == StatsPacketType.Unsubscribed && p.Channel == "c" && p.Mode == "stream"), "sub unavailable after the linger", TimeSpan.FromSeconds(5));
    }
}
