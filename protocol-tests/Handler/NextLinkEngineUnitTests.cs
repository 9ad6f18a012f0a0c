using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Sessions;
using Pushpin.Handler.Variants;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>Next links in the engine: outbound requests recorded, replies fed by hand, clock moved by hand.</summary>
[CancelAfter(10_000)]
public sealed class NextLinkEngineUnitTests
{
    private sealed class Recorder : IZhttpSender
    {
        public List<ZhttpPacket> Sent { get; } = [];

        public void Send(string requesterId, ZhttpPacket packet, bool routerResp)
        {
            Sent.Add(PacketCopy.Of(packet));
        }
    }

    private sealed class OutboundRecorder : IOutboundSender
    {
        public string InstanceId => "handler_u_intreq";

        public List<ZhttpPacket> Initial { get; } = [];

        public List<(string To, ZhttpPacket Packet)> Later { get; } = [];

        public void SendInitial(ZhttpPacket packet) => Initial.Add(packet);

        public void Send(string responderId, ZhttpPacket packet) => Later.Add((responderId, packet));
    }

    private ManualTime _time = null!;
    private Recorder _out = null!;
    private OutboundRecorder _intreq = null!;
    private HandlerEngine _engine = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTime();
        _out = new Recorder();
        _intreq = new OutboundRecorder();
        _engine = new HandlerEngine(new SessionContext("handler_u", _out, _time, NullLogger.Instance)) { Outbound = _intreq };
    }

    // Timer tests: no first-subscription update (it would fetch the link after a second).
    private void WithoutFirstSubscriptionUpdate(int subscriptionMax = 20) =>
        _engine = new HandlerEngine(new SessionContext("handler_u", _out, _time, NullLogger.Instance), subscriptionMax, new HandlerEngineOptions { UpdateOnFirstSubscription = false }) { Outbound = _intreq };

    private void Accept((string, string)[] headers, string body, string rid = "a")
    {
        var r = _engine.HandleAccept("1", HandlerHarness.AcceptArgs(HandlerHarness.Request(rid, 1000), 200, "OK", headers, body));
        Assert.That(r.Success, Is.True, r.Condition);
        _engine.StartAccepted();
    }

    private void Reply(ZhttpPacket request, int code, (string, string)[] headers, string body, bool more = false) =>
        _engine.HandleOutboundPacket(new ZhttpPacket
        {
            From = "proxy_1",
            Id = request.Id,
            Seq = 0,
            Type = ZhttpPacketType.Data,
            Code = code,
            Reason = "X",
            Headers = headers.Select(h => new HttpHeader(h.Item1, h.Item2)).ToList(),
            Body = Encoding.UTF8.GetBytes(body),
            More = more,
        });

    private void RunFor(TimeSpan span)
    {
        for (var t = TimeSpan.Zero; t < span; t += TimeSpan.FromMilliseconds(100))
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            _engine.Tick();
        }
    }

    private string ClientBody() => string.Concat(_out.Sent.Where(p => p.Type == ZhttpPacketType.Data).Select(p => Encoding.UTF8.GetString(p.Body.Span)));

    private static PublishItem Item(string json)
    {
        Assert.That(JsonVariant.TryParse(Encoding.UTF8.GetBytes(json), out var v), Is.True);
        Assert.That(PublishItemParser.TryParse(v, null, out var item, out var error), Is.True, error);
        return item!;
    }

    [Test]
    public void Non_hold_next_link_is_fetched_on_intreq_and_its_stream_hold_takes_over_the_channels()
    {
        Accept([("Grip-Link", "</next?a=1>; rel=next")], "first\n");
        var head = _out.Sent.Single(p => p.Type == ZhttpPacketType.Data);
        Assert.That(head.More, Is.True, "the client stream stays open while the link is fetched");

        var get = _intreq.Initial.Single();
        var passthrough = (Dictionary<string, object?>)get.Passthrough!;
        Assert.Multiple(() =>
        {
            Assert.That(get.Method, Is.EqualTo("GET"));
            Assert.That(get.Uri, Is.EqualTo("http://example.com/next?a=1"));
            Assert.That(get.Stream, Is.True);
            Assert.That(passthrough["route"], Is.EqualTo("test"u8.ToArray()));
            Assert.That(passthrough["prefer-internal"], Is.EqualTo(true));
        });

        Reply(get, 200, [("Grip-Hold", "stream"), ("Grip-Channel", "news; prev-id=4"), ("Grip-Link", "</next?a=2>; rel=next")], "second\n");
        Assert.That(ClientBody(), Is.EqualTo("first\nsecond\n"));

        _engine.Publish(Item("""{"channel":"news","id":"5","prev-id":"4","formats":{"http-stream":{"content":"third\n"}}}"""));
        Assert.That(ClientBody(), Is.EqualTo("first\nsecond\nthird\n"));

        // A hint updates the stream hold through its (new) next link with Grip-Last.
        _engine.Publish(Item("""{"channel":"news","formats":{"http-stream":{"action":"hint"}}}"""));
        RunFor(TimeSpan.FromSeconds(1));
        var update = _intreq.Initial.Last();
        Assert.That(update.Uri, Is.EqualTo("http://example.com/next?a=2"));
        Assert.That(update.Headers!.Where(h => h.Name == "Grip-Last").Select(h => h.Value), Is.EqualTo(new[] { "news; last-id=5" }));
    }

    [Test]
    public void Non_hold_next_response_without_link_ends_the_stream()
    {
        Accept([("Grip-Link", "</next>; rel=next")], "a");
        Reply(_intreq.Initial.Single(), 200, [], "b");
        var last = _out.Sent.Last();
        Assert.That(ClientBody(), Is.EqualTo("ab"));
        Assert.That(last.Type == ZhttpPacketType.Data && !last.More, Is.True, "the stream ended");
        Assert.That(_engine.SessionCount, Is.Zero);
    }

    [Test]
    public void Failed_next_link_is_retried_after_a_second_or_two()
    {
        Accept([("Grip-Link", "</next>; rel=next")], "a");
        Reply(_intreq.Initial.Single(), 503, [], "busy");
        Assert.That(_intreq.Later.Single().Packet.Type, Is.EqualTo(ZhttpPacketType.Cancel), "the failed request is cancelled");
        RunFor(TimeSpan.FromSeconds(0.9));
        Assert.That(_intreq.Initial, Has.Count.EqualTo(1));
        RunFor(TimeSpan.FromSeconds(1.2));
        Assert.That(_intreq.Initial, Has.Count.EqualTo(2), "retried within 1-2 s");
        Assert.That(ClientBody(), Is.EqualTo("a"), "nothing of the failed body reached the client");
    }

    [Test]
    public void Next_link_answering_a_response_hold_ends_the_stream()
    {
        Accept([("Grip-Link", "</next>; rel=next")], "a");
        Reply(_intreq.Initial.Single(), 200, [("Grip-Hold", "response"), ("Grip-Channel", "x")], "");
        Assert.That(_out.Sent.Last().More, Is.False);
        Assert.That(_engine.SessionCount, Is.Zero);
    }

    [Test]
    public void Gone_link_is_posted_when_the_session_ends()
    {
        Accept([("Grip-Hold", "stream"), ("Grip-Channel", "g"), ("Grip-Link", "</gone>; rel=gone")], "a");
        _engine.HandlePacket(new ZhttpPacket { From = "connmgr", Id = "a", Seq = 1, Type = ZhttpPacketType.Cancel });
        var post = _intreq.Initial.Single();
        Assert.That((post.Method, post.Uri), Is.EqualTo(("POST", "http://example.com/gone")));
        Assert.That(_engine.SessionCount, Is.Zero);
    }

    [Test]
    public void Next_link_fetch_asks_the_proxy_to_share_identical_requests_but_the_gone_post_does_not()
    {
        Accept([("Grip-Hold", "stream"), ("Grip-Channel", "s"), ("Grip-Link", "</next>; rel=next"), ("Grip-Link", "</gone>; rel=gone")], "a");
        _engine.Publish(Item("""{"channel":"s","formats":{"http-stream":{"action":"hint"}}}"""));
        var get = _intreq.Initial.Single();
        Assert.That(((Dictionary<string, object?>)get.Passthrough!)["auto-share"], Is.EqualTo(true));
        _engine.HandlePacket(new ZhttpPacket { From = "connmgr", Id = "a", Seq = 1, Type = ZhttpPacketType.Cancel });
        var post = _intreq.Initial.Last();
        Assert.That(post.Method, Is.EqualTo("POST"));
        Assert.That(((Dictionary<string, object?>)post.Passthrough!).ContainsKey("auto-share"), Is.False);
    }

    [Test]
    public void Next_link_timeout_fetches_the_link_when_the_channels_stay_silent()
    {
        WithoutFirstSubscriptionUpdate();
        Accept([("Grip-Hold", "stream"), ("Grip-Channel", "quiet"), ("Grip-Link", "</next?p=1>; rel=next; timeout=5")], "a");
        RunFor(TimeSpan.FromSeconds(4.8));
        Assert.That(_intreq.Initial, Is.Empty, "not before the timeout");
        RunFor(TimeSpan.FromSeconds(0.5));
        Assert.That(_intreq.Initial.Single().Uri, Is.EqualTo("http://example.com/next?p=1"));
        Assert.That(_engine.LinkTimeouts.BucketCount, Is.Zero, "the timer is off while the link is fetched");

        // The fetched stream hold arms it again.
        Reply(_intreq.Initial.Single(), 200, [("Grip-Hold", "stream"), ("Grip-Channel", "quiet"), ("Grip-Link", "</next?p=2>; rel=next; timeout=5")], "b");
        RunFor(TimeSpan.FromSeconds(5.3));
        Assert.That(_intreq.Initial.Select(p => p.Uri), Is.EqualTo(new[] { "http://example.com/next?p=1", "http://example.com/next?p=2" }));
    }

    [Test]
    public void Next_link_timeout_spares_a_stream_whose_every_channel_had_a_message()
    {
        WithoutFirstSubscriptionUpdate();
        Accept([("Grip-Hold", "stream"), ("Grip-Channel", "x, y"), ("Grip-Link", "</next>; rel=next; timeout=5")], "a");
        RunFor(TimeSpan.FromSeconds(2));
        _engine.Publish(Item("""{"channel":"x","formats":{"http-stream":{"content":"1"}}}"""));
        _engine.Publish(Item("""{"channel":"y","formats":{"http-stream":{"content":"2"}}}"""));
        RunFor(TimeSpan.FromSeconds(3.5));
        Assert.That(_intreq.Initial, Is.Empty, "active during the period: another period");
        RunFor(TimeSpan.FromSeconds(5));
        Assert.That(_intreq.Initial, Has.Count.EqualTo(1), "silent for the next one: fetched");
    }

    [Test]
    public void Next_link_timeout_is_not_spared_by_messages_on_only_some_channels()
    {
        WithoutFirstSubscriptionUpdate();
        Accept([("Grip-Hold", "stream"), ("Grip-Channel", "x, y"), ("Grip-Link", "</next>; rel=next; timeout=5")], "a");
        RunFor(TimeSpan.FromSeconds(2));
        _engine.Publish(Item("""{"channel":"x","formats":{"http-stream":{"content":"1"}}}"""));
        RunFor(TimeSpan.FromSeconds(3.5));
        Assert.That(_intreq.Initial, Has.Count.EqualTo(1));
    }

    [Test]
    public void Streams_with_the_same_link_and_timeout_share_one_timer()
    {
        WithoutFirstSubscriptionUpdate();
        Accept([("Grip-Hold", "stream"), ("Grip-Channel", "c"), ("Grip-Link", "</next?u=1>; rel=next; timeout=5")], "a", rid: "a");
        RunFor(TimeSpan.FromSeconds(3));
        Accept([("Grip-Hold", "stream"), ("Grip-Channel", "c"), ("Grip-Link", "</next?u=2>; rel=next; timeout=5")], "a", rid: "b");
        Accept([("Grip-Hold", "stream"), ("Grip-Channel", "c"), ("Grip-Link", "</other>; rel=next; timeout=5")], "a", rid: "c");
        Assert.That(_engine.LinkTimeouts.BucketCount, Is.EqualTo(2), "query ignored, other path separate");
        RunFor(TimeSpan.FromSeconds(2.3));
        Assert.That(_intreq.Initial.Select(p => p.Uri), Is.EquivalentTo(new[] { "http://example.com/next?u=1", "http://example.com/next?u=2" }), "the late one fires with the shared timer");
        RunFor(TimeSpan.FromSeconds(3));
        Assert.That(_intreq.Initial.Select(p => p.Uri), Has.Member("http://example.com/other"));
    }

    [Test]
    public void Channels_of_a_next_link_stream_hold_are_capped_at_connection_subscription_max()
    {
        WithoutFirstSubscriptionUpdate(subscriptionMax: 2);
        Accept([("Grip-Link", "</next>; rel=next")], "a");
        Reply(_intreq.Initial.Single(), 200, [("Grip-Hold", "stream"), ("Grip-Channel", "one, two, three")], "b");
        Assert.That(_engine.SubscribedChannels, Is.EquivalentTo(new[] { "one", "two" }));
        _engine.Publish(Item("""{"channel":"three","formats":{"http-stream":{"content":"lost"}}}"""));
        _engine.Publish(Item("""{"channel":"two","formats":{"http-stream":{"content":"c"}}}"""));
        Assert.That(ClientBody(), Is.EqualTo("abc"));
    }
}
