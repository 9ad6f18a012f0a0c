using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Metrics;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Sessions;
using Pushpin.Handler.Variants;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>
/// Who gets what: filters and meta, the sequencer and id cache, rate limits, and the retry
/// packets that re-sync response holds through the proxy. Hand-moved clock, recording sender.
/// </summary>
[TestFixture]
public sealed class HandlerDeliveryUnitTests
{
    private sealed class Recorder : IZhttpSender
    {
        public List<ZhttpPacket> Sent { get; } = [];

        public void Send(string requesterId, ZhttpPacket packet, bool routerResp)
        {
            Sent.Add(PacketCopy.Of(packet));
        }
    }

    private ManualTime _time = null!;
    private Recorder _out = null!;
    private HandlerCounters _counters = null!;
    private HandlerEngine _engine = null!;
    private List<(string To, Dictionary<string, object?> Packet)> _retries = null!;
    private bool _proxyTakesRetries;

    private void Create(HandlerEngineOptions? options = null)
    {
        _time = new ManualTime();
        _out = new Recorder();
        _counters = new HandlerCounters();
        _retries = [];
        _proxyTakesRetries = true;
        _engine = new HandlerEngine(new SessionContext("handler_u", _out, _time, NullLogger.Instance) { Counters = _counters }, 20, options ?? new HandlerEngineOptions { UpdateOnFirstSubscription = false });
        _engine.RetrySender = (to, packet) =>
        {
            _retries.Add((to, TnetString.ParseDictionary(packet)));
            return Task.FromResult(_proxyTakesRetries);
        };
    }

    [SetUp]
    public void SetUp() => Create();

    private void Accept(string id, (string, string)[] headers, string body = "", bool debug = false)
    {
        var request = HandlerHarness.Request(id);
        if (debug)
        {
            request["debug"] = true;
        }
        var r = _engine.HandleAccept("1", HandlerHarness.AcceptArgs(request, 200, "OK", headers, body), "proxy_1");
        Assert.That(r.Success, Is.True, r.Condition);
        _engine.StartAccepted();
    }

    private void RunFor(TimeSpan span)
    {
        for (var t = TimeSpan.Zero; t < span; t += TimeSpan.FromMilliseconds(100))
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            _engine.Tick();
        }
    }

    // The engine posts retry outcomes to its loop; tests run them by hand.
    private void RunPosted()
    {
        var field = typeof(HandlerEngine).GetField("_work", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var channel = (System.Threading.Channels.Channel<Action>)field.GetValue(_engine)!;
        while (channel.Reader.TryRead(out var a))
        {
            a();
        }
    }

    private static PublishItem Item(string json)
    {
        Assert.That(JsonVariant.TryParse(Encoding.UTF8.GetBytes(json), out var v), Is.True);
        Assert.That(PublishItemParser.TryParse(v, null, out var item, out var error), Is.True, error);
        return item!;
    }

    private static PublishItem Stream(string content, string channel = "c", string? id = null, string? prevId = null, string meta = "{}", bool noSeq = false)
    {
        var ids = (id is null ? "" : $"\"id\":\"{id}\",") + (prevId is null ? "" : $"\"prev-id\":\"{prevId}\",");
        var seq = noSeq ? "true" : "false";
        return Item("{\"channel\":\"" + channel + "\"," + ids + "\"meta\":" + meta + ",\"no-seq\":" + seq + ",\"formats\":{\"http-stream\":{\"content\":\"" + content + "\"}}}");
    }

    private string Bodies() => string.Concat(_out.Sent.Where(p => p.Type == ZhttpPacketType.Data).Select(p => Encoding.UTF8.GetString(p.Body.Span)));

    private static readonly (string, string)[] StreamHold = [("Grip-Hold", "stream"), ("Grip-Channel", "c")];

    [Test]
    public void Skip_self_uses_grip_set_meta_user_and_publish_meta_sender()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c; filter=skip-self"), ("Grip-Set-Meta", "user=alice")]);
        Accept("b", [("Grip-Hold", "stream"), ("Grip-Channel", "c; filter=skip-self"), ("Grip-Set-Meta", "user=bob")]);
        _out.Sent.Clear();
        _engine.Publish(Stream("from alice", meta: """{"sender":"alice"}"""));
        Assert.That(_out.Sent.Select(p => p.Id), Is.EqualTo(new[] { "b" }));
        Assert.That(_counters.DroppedCount(DropReason.Filtered), Is.EqualTo(1));
        Assert.That(_counters.DeliveredCount, Is.EqualTo(1));
    }

    [Test]
    public void Var_subst_renders_subscription_meta_into_published_content_not_the_initial_body()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c; filter=var-subst"), ("Grip-Set-Meta", "name=\"A B\"")], body: "hi %(name)s\n");
        _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"to %(name)s\n","content-filters":["var-subst"]}}}"""));
        Assert.That(Bodies(), Is.EqualTo("hi %(name)s\nto A B\n"));
    }

    [Test]
    public void Build_id_renders_into_the_initial_body_and_its_error_is_an_instruct_error()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c; filter=build-id"), ("Grip-Set-Meta", "id_format=x")], body: "id=%(5)I\n");
        Assert.That(Bodies(), Is.EqualTo("id=5\n"));

        var r = _engine.HandleAccept("2", HandlerHarness.AcceptArgs(HandlerHarness.Request("b"), 200, "OK", [("Grip-Channel", "c; filter=build-id"), ("Grip-Set-Meta", "id_format=x")], "%I"), "proxy_1");
        Assert.That((r.Success, r.Condition, Encoding.UTF8.GetString((byte[])r.Value!)), Is.EqualTo((false, "bad-format", "filter error: build-id: No ID specified and no default ID in context at position 1")));
    }

    [Test]
    public void Filter_error_drops_the_item_and_in_debug_mode_ends_the_stream_with_the_message()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c; filter=var-subst")]);
        Accept("d", [("Grip-Hold", "stream"), ("Grip-Channel", "c; filter=var-subst")], debug: true);
        _out.Sent.Clear();
        _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"%(x)s","content-filters":["var-subst"]}}}"""));
        Assert.That(_out.Sent.Where(p => p.Id == "a"), Is.Empty, "non-debug: dropped silently to the client, counted");
        var d = _out.Sent.Where(p => p.Id == "d").ToList();
        Assert.That(string.Concat(d.Select(p => Encoding.UTF8.GetString(p.Body.Span))), Is.EqualTo("\n\nfilter error: No such variable 'x' at position 4\n"));
        Assert.That(d[^1].More, Is.False, "stream ended");
        Assert.That(_counters.DroppedCount(DropReason.FilterError), Is.EqualTo(2));
        Assert.That(_engine.SessionCount, Is.EqualTo(1));
    }

    [Test]
    public void Content_filters_must_equal_the_channels_content_filters_exactly()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c; filter=skip-self; filter=var-subst")]);
        _out.Sent.Clear();
        _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"no"}}}"""));
        _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"no2","content-filters":[]}}}"""));
        _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"yes","content-filters":["var-subst"]}}}"""));
        Assert.That(Bodies(), Is.EqualTo("no" + "yes"), "no content-filters key: no check; [] mismatches");
        Assert.That(_counters.DroppedCount(DropReason.ContentFilterMismatch), Is.EqualTo(1));
    }

    [Test]
    public void Sequencer_reorders_items_and_delivers_a_gap_after_message_wait()
    {
        Create(new HandlerEngineOptions { UpdateOnFirstSubscription = false, MessageWaitMs = 5000 });
        Accept("a", StreamHold);
        _out.Sent.Clear();
        _engine.Publish(Stream("1", id: "1"));
        _engine.Publish(Stream("3", id: "3", prevId: "2"));
        _engine.Publish(Stream("2", id: "2", prevId: "1"));
        Assert.That(Bodies(), Is.EqualTo("123"), "3 waited for 2");

        _engine.Publish(Stream("5", id: "5", prevId: "4"));
        _engine.Publish(Stream("5b", id: "5b", prevId: "4"));
        _engine.Publish(Stream("n", noSeq: true));
        Assert.That(Bodies(), Is.EqualTo("123n"), "no-seq goes at once; 5 waits");
        RunFor(TimeSpan.FromSeconds(4.8));
        Assert.That(Bodies(), Is.EqualTo("123n"));
        RunFor(TimeSpan.FromSeconds(0.4));
        Assert.That(Bodies(), Is.EqualTo("123n5"), "delivered after message_wait; the second item on prev-id 4 was dropped");
        Assert.That(_counters.DroppedCount(DropReason.SequencerOverflow), Is.EqualTo(1));
    }

    [Test]
    public void Sequencing_only_applies_while_the_channel_has_subscribers()
    {
        _engine.Publish(Stream("1", id: "1"));
        Accept("a", StreamHold);
        _out.Sent.Clear();
        _engine.Publish(Stream("3", id: "3", prevId: "2"));
        Assert.That(Bodies(), Is.EqualTo("3"), "no last id was kept while nobody listened");
    }

    [Test]
    public void Id_cache_drops_a_repeated_channel_id_within_the_ttl()
    {
        Create(new HandlerEngineOptions { UpdateOnFirstSubscription = false, IdCacheTtlSeconds = 2 });
        Accept("a", StreamHold);
        _out.Sent.Clear();
        _engine.Publish(Stream("x", id: "1", noSeq: true));
        _engine.Publish(Stream("y", id: "1", noSeq: true));
        _engine.Publish(Stream("z", channel: "other", id: "1"));
        RunFor(TimeSpan.FromSeconds(2.1));
        _engine.Publish(Stream("w", id: "1", noSeq: true));
        Assert.That(Bodies(), Is.EqualTo("xw"));
        Assert.That(_counters.DroppedCount(DropReason.Duplicate), Is.EqualTo(1));
    }

    [Test]
    public void Message_rate_spreads_deliveries_and_message_hwm_drops_the_excess_counted()
    {
        Create(new HandlerEngineOptions { UpdateOnFirstSubscription = false, MessageRate = 20, MessageHwm = 5 });
        Accept("a", StreamHold);
        _out.Sent.Clear();
        for (var i = 0; i < 10; i++)
        {
            _engine.Publish(Stream(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        // One tick's worth (20/s * 100 ms = 2) goes at once, 5 more queue, 3 exceed the hwm.
        Assert.That(Bodies(), Is.EqualTo("01"));
        Assert.That(_counters.DroppedCount(DropReason.Hwm), Is.EqualTo(3));
        RunFor(TimeSpan.FromMilliseconds(100));
        Assert.That(Bodies(), Is.EqualTo("0123"));
        RunFor(TimeSpan.FromMilliseconds(300));
        Assert.That(Bodies(), Is.EqualTo("0123456"));
    }

    [Test]
    public void Prev_id_gap_on_a_response_hold_sends_a_retry_packet_with_grip_last_ids()
    {
        Accept("a", [("Grip-Hold", "response"), ("Grip-Channel", "c; prev-id=5"), ("Grip-Channel", "d")]);
        var keepAlive = _out.Sent.Single();
        _out.Sent.Clear();
        _engine.Publish(Item("""{"channel":"c","id":"7","prev-id":"6","formats":{"http-response":{"body":"x"}}}"""));
        Assert.That(_retries, Is.Empty, "gaps are rate-limited updates, done on the tick");
        RunFor(TimeSpan.FromMilliseconds(100));
        var (to, packet) = _retries.Single();
        Assert.That(to, Is.EqualTo("proxy_1"));
        var request = (Dictionary<string, object?>)((List<object?>)packet["requests"]!).Single()!;
        var rid = (Dictionary<string, object?>)request["rid"]!;
        Assert.That((Encoding.Latin1.GetString((byte[])rid["sender"]!), Encoding.Latin1.GetString((byte[])rid["id"]!)), Is.EqualTo(("connmgr", "a")));
        Assert.That((request["in-seq"], request["out-seq"], request["out-credits"], request["router-resp"]), Is.EqualTo((1L, (long)keepAlive.Seq + 1, 1000L, true)));
        var requestData = (Dictionary<string, object?>)packet["request-data"]!;
        Assert.That(Encoding.UTF8.GetString((byte[])requestData["uri"]!), Is.EqualTo("http://example.com/stream"));
        var inspect = (Dictionary<string, object?>)packet["inspect"]!;
        Assert.That(inspect["no-proxy"], Is.EqualTo(false));
        var lastIds = (Dictionary<string, object?>)inspect["last-ids"]!;
        Assert.That(lastIds.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString((byte[])kv.Value!)), Is.EqualTo(new Dictionary<string, string> { ["c"] = "5" }));
        Assert.That(Encoding.UTF8.GetString((byte[])packet["route"]!), Is.EqualTo("test"));

        RunPosted();
        Assert.That(_engine.SessionCount, Is.EqualTo(0), "the proxy owns the session again");
        Assert.That(_out.Sent, Is.Empty, "nothing goes to connmgr for a retried session");
    }

    [Test]
    public void Hint_retries_at_once_and_a_retry_nobody_takes_keeps_the_session_held()
    {
        Accept("a", [("Grip-Hold", "response"), ("Grip-Channel", "c"), ("Grip-Timeout", "30")]);
        _proxyTakesRetries = false;
        _engine.Publish(Item("""{"channel":"c","formats":{"http-response":{"action":"hint"}}}"""));
        Assert.That(_retries, Has.Count.EqualTo(1));
        RunPosted();
        Assert.That(_engine.SessionCount, Is.EqualTo(1));
        _out.Sent.Clear();
        _engine.Publish(Item("""{"channel":"c","formats":{"http-response":{"body":"still here"}}}"""));
        Assert.That(Bodies(), Is.EqualTo("still here"));
    }

    [Test]
    public void Accept_time_prev_id_conflict_retries_the_long_poll_and_forgets_the_last_id()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c")]);
        _engine.Publish(Stream("1", id: "9"));
        Assert.That(_engine.LastIds.Get("c"), Is.EqualTo("9"));
        Accept("b", [("Grip-Hold", "response"), ("Grip-Channel", "c; prev-id=8")]);
        Assert.That(_retries.Single().Packet.ContainsKey("requests"), Is.True);
        Assert.That(_engine.LastIds.Get("c"), Is.Null);
        Accept("e", [("Grip-Hold", "response"), ("Grip-Channel", "c; prev-id=8")]);
        Assert.That(_retries, Has.Count.EqualTo(1), "once: the last id is forgotten");
    }

    [Test]
    public void First_subscription_updates_its_long_polls_about_a_second_later_once()
    {
        Create(new HandlerEngineOptions { UpdateOnFirstSubscription = true });
        Accept("a", [("Grip-Hold", "response"), ("Grip-Channel", "c")]);
        RunFor(TimeSpan.FromMilliseconds(900));
        Assert.That(_retries, Is.Empty);
        RunFor(TimeSpan.FromMilliseconds(300));
        Assert.That(_retries, Has.Count.EqualTo(1));
        RunPosted();
        // The channel lingers (subscription_linger), so a returning long-poll is not updated again.
        Accept("b", [("Grip-Hold", "response"), ("Grip-Channel", "c")]);
        RunFor(TimeSpan.FromSeconds(2));
        Assert.That(_retries, Has.Count.EqualTo(1));
    }

    [Test]
    public void Recover_forgets_last_ids_and_retries_every_long_poll()
    {
        Accept("a", [("Grip-Hold", "response"), ("Grip-Channel", "c")]);
        Accept("b", [("Grip-Hold", "response"), ("Grip-Channel", "d")]);
        Accept("s", StreamHold);
        _engine.Publish(Stream("1", id: "1"));
        _engine.Recover();
        Assert.That(_engine.LastIds.Count, Is.EqualTo(0));
        RunFor(TimeSpan.FromMilliseconds(100));
        Assert.That(_retries.Select(r => Encoding.Latin1.GetString((byte[])((Dictionary<string, object?>)((Dictionary<string, object?>)((List<object?>)r.Packet["requests"]!)[0]!)["rid"]!)["id"]!)), Is.EquivalentTo(new[] { "a", "b" }));
    }

    [Test]
    public void Response_channel_lingers_after_its_last_long_poll_then_unsubscribes()
    {
        Create(new HandlerEngineOptions { UpdateOnFirstSubscription = false, SubscriptionLinger = TimeSpan.FromSeconds(3) });
        var changes = new List<(string, bool)>();
        _engine.ChannelSubscriptionChanged = (c, s) => changes.Add((c, s));
        Accept("a", [("Grip-Hold", "response"), ("Grip-Channel", "c")]);
        _engine.Publish(Item("""{"channel":"c","formats":{"http-response":{"body":"x"}}}"""));
        Assert.That(_engine.SessionCount, Is.EqualTo(0));
        RunFor(TimeSpan.FromSeconds(2.5));
        Assert.That(changes, Is.EqualTo(new[] { ("c", true) }));
        RunFor(TimeSpan.FromSeconds(1));
        Assert.That(changes, Is.EqualTo(new[] { ("c", true), ("c", false) }));
    }

    [Test]
    public void Conncheck_names_the_held_sessions()
    {
        Accept("a", StreamHold);
        Assert.That(_engine.ConnCheck(["connmgr:a", "connmgr:zz", "bogus"]), Is.EqualTo(new[] { "connmgr:a" }));
    }
}
