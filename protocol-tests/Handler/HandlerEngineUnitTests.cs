using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Sessions;
using Pushpin.Handler.Variants;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>Engine timers and queues, driven with a hand-moved clock and a recording sender.</summary>
[TestFixture]
public sealed class HandlerEngineUnitTests
{
    private sealed class Recorder : IZhttpSender
    {
        public List<(string To, ZhttpPacket Packet, bool RouterResp)> Sent { get; } = [];

        // The real sender encodes at once; keep a copy of the body since its buffer is reused.
        public void Send(string requesterId, ZhttpPacket packet, bool routerResp)
        {
            Sent.Add((requesterId, PacketCopy.Of(packet), routerResp));
        }
    }

    private ManualTime _time = null!;
    private Recorder _out = null!;
    private HandlerEngine _engine = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTime();
        _out = new Recorder();
        _engine = new HandlerEngine(new SessionContext("handler_u", _out, _time, NullLogger.Instance));
    }

    private void Accept(string id, (string, string)[] headers, int credits = 1000, string body = "")
    {
        var r = _engine.HandleAccept("1", HandlerHarness.AcceptArgs(HandlerHarness.Request(id, credits), 200, "OK", headers, body));
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

    private static PublishItem Item(string json)
    {
        Assert.That(JsonVariant.TryParse(Encoding.UTF8.GetBytes(json), out var v), Is.True);
        Assert.That(PublishItemParser.TryParse(v, null, out var item, out var error), Is.True, error);
        return item!;
    }

    private static readonly (string, string)[] Stream = [("Grip-Hold", "stream"), ("Grip-Channel", "c")];

    [Test]
    public void Zhttp_keep_alives_go_every_45_seconds_batched_for_multi_peers()
    {
        Accept("a", Stream);
        Accept("b", Stream);
        Accept("c", Stream);
        // connmgr announces multi on its packets (here: keep-alives for a and b).
        _engine.HandlePacket(new ZhttpPacket { From = "connmgr", Type = ZhttpPacketType.KeepAlive, Multi = true, Ids = [new("a", 1), new("b", 1)] });
        _out.Sent.Clear();

        RunFor(TimeSpan.FromSeconds(44));
        Assert.That(_out.Sent, Is.Empty, "nothing within the first 44 s");

        RunFor(TimeSpan.FromSeconds(2));
        var kas = _out.Sent.Where(s => s.Packet.Type == ZhttpPacketType.KeepAlive).ToList();
        var multi = kas.Single(s => s.Packet.Ids is not null).Packet;
        Assert.That(multi.Ids!.Select(r => (r.Id, r.Seq)), Is.EquivalentTo(new[] { ("a", 3), ("b", 3) }), "seq continues after keep-alive (1) and head (2)");
        var single = kas.Single(s => s.Packet.Ids is null).Packet;
        Assert.That((single.Id, single.Seq), Is.EqualTo(("c", 3)));
        Assert.That(kas.All(s => s.To == "connmgr" && s.RouterResp), Is.True);
    }

    [Test]
    public void Stop_ends_a_held_stream_with_its_last_empty_packet()
    {
        Accept("a", Stream);
        _out.Sent.Clear();
        _engine.ShutdownSessions();
        var last = _out.Sent.Single().Packet;
        Assert.That((last.Id, last.Type, last.More, last.Body.Length), Is.EqualTo(("a", ZhttpPacketType.Data, false, 0)));
        Assert.That(_engine.SessionCount, Is.Zero);
    }

    [Test]
    public void Stop_drops_body_waiting_for_credits_but_still_ends_the_stream()
    {
        Accept("a", Stream, credits: 2);
        _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"hello"}}}"""));
        _out.Sent.Clear();
        _engine.ShutdownSessions();
        var last = _out.Sent.Last().Packet;
        Assert.That((last.Type, last.More), Is.EqualTo((ZhttpPacketType.Data, false)), "the final packet");
        Assert.That(_out.Sent.Sum(s => s.Packet.Body.Length), Is.Zero, "no body beyond the credits");
    }

    [Test]
    public void Stop_cancels_a_held_long_poll_as_upstream()
    {
        Accept("a", [("Grip-Hold", "response"), ("Grip-Channel", "c")]);
        _out.Sent.Clear();
        _engine.ShutdownSessions();
        Assert.That(_out.Sent.Select(s => (s.Packet.Id, s.Packet.Type)), Is.EqualTo(new[] { ("a", ZhttpPacketType.Cancel) }));
        Assert.That(_engine.SessionCount, Is.Zero);
    }

    [Test]
    public void Session_without_packets_for_60_seconds_expires()
    {
        Accept("a", Stream);
        Assert.That(_engine.SessionCount, Is.EqualTo(1));
        RunFor(TimeSpan.FromSeconds(50));
        _engine.HandlePacket(new ZhttpPacket { From = "connmgr", Id = "a", Seq = 1, Type = ZhttpPacketType.KeepAlive });
        RunFor(TimeSpan.FromSeconds(50));
        Assert.That(_engine.SessionCount, Is.EqualTo(1), "a packet refreshes the session");
        RunFor(TimeSpan.FromSeconds(60));
        Assert.That(_engine.SessionCount, Is.EqualTo(0));
    }

    [Test]
    public void Queue_holds_at_most_100_items_while_out_of_credits()
    {
        Accept("a", Stream, credits: 0);
        for (var i = 0; i < 150; i++)
        {
            _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"x"}}}"""));
        }
        _out.Sent.Clear();
        _engine.HandlePacket(new ZhttpPacket { From = "connmgr", Id = "a", Seq = 1, Type = ZhttpPacketType.Credit, Credits = 1000 });
        Assert.That(_out.Sent.Sum(s => s.Packet.Body.Length), Is.EqualTo(100));
    }

    [Test]
    public void Stream_keep_alive_interval_mode_fires_even_while_items_flow()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c"), ("Grip-Keep-Alive", "k; timeout=3; mode=interval")]);
        _out.Sent.Clear();
        for (var i = 0; i < 8; i++)
        {
            _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"m"}}}"""));
            _engine.HandlePacket(new ZhttpPacket { From = "connmgr", Id = "a", Seq = i + 1, Type = ZhttpPacketType.Credit, Credits = 1 });
            RunFor(TimeSpan.FromSeconds(1));
        }
        Assert.That(_out.Sent.Count(s => Encoding.UTF8.GetString(s.Packet.Body.Span) == "k"), Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public void Stream_keep_alive_idle_mode_waits_for_silence()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c"), ("Grip-Keep-Alive", "k; timeout=3")]);
        _out.Sent.Clear();
        for (var i = 0; i < 8; i++)
        {
            _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"m"}}}"""));
            RunFor(TimeSpan.FromSeconds(1));
        }
        Assert.That(_out.Sent.Count(s => Encoding.UTF8.GetString(s.Packet.Body.Span) == "k"), Is.EqualTo(0));
        // 3 s after the last item the timer (3 s minus up to 1 s of jitter) has fired once, and
        // the next one is at least 2 s away.
        RunFor(TimeSpan.FromSeconds(2));
        Assert.That(_out.Sent.Count(s => Encoding.UTF8.GetString(s.Packet.Body.Span) == "k"), Is.EqualTo(1));
    }

    [Test]
    public void Stream_hold_with_prev_id_but_no_next_link_ends_after_the_initial_response()
    {
        Accept("a", [("Grip-Hold", "stream"), ("Grip-Channel", "c; prev-id=1")], body: "hi");
        var data = _out.Sent.Where(s => s.Packet.Type == ZhttpPacketType.Data).Select(s => s.Packet).ToList();
        Assert.That(data.Count, Is.EqualTo(2));
        Assert.That((Encoding.UTF8.GetString(data[0].Body.Span), data[0].More, data[1].More), Is.EqualTo(("hi", true, false)));
        Assert.That(_engine.SessionCount, Is.EqualTo(0));
    }

    [Test]
    public void Response_hold_delivers_only_items_following_the_prev_id()
    {
        Accept("a", [("Grip-Hold", "response"), ("Grip-Channel", "c; prev-id=5")]);
        _out.Sent.Clear();
        _engine.Publish(Item("""{"channel":"c","id":"7","prev-id":"6","formats":{"http-response":{"body":"wrong"}}}"""));
        Assert.That(_out.Sent, Is.Empty);
        _engine.Publish(Item("""{"channel":"c","id":"6","prev-id":"5","formats":{"http-response":{"body":"right"}}}"""));
        Assert.That(Encoding.UTF8.GetString(_out.Sent.Single().Packet.Body.Span), Is.EqualTo("right"));
    }

    [Test]
    public void Channel_prefix_is_prepended_and_subscription_changes_are_reported()
    {
        var changes = new List<(string, bool)>();
        _engine.ChannelSubscriptionChanged = (c, s) => changes.Add((c, s));
        var args = HandlerHarness.AcceptArgs(HandlerHarness.Request("a"), 200, "OK", Stream, "");
        args["channel-prefix"] = "pre_"u8.ToArray();
        Assert.That(_engine.HandleAccept("1", args).Success, Is.True);
        _engine.StartAccepted();
        _out.Sent.Clear();
        _engine.Publish(Item("""{"channel":"c","formats":{"http-stream":{"content":"no"}}}"""));
        _engine.Publish(Item("""{"channel":"pre_c","formats":{"http-stream":{"content":"yes"}}}"""));
        Assert.That(Encoding.UTF8.GetString(_out.Sent.Single().Packet.Body.Span), Is.EqualTo("yes"));
        _engine.HandlePacket(new ZhttpPacket { From = "connmgr", Id = "a", Seq = 1, Type = ZhttpPacketType.Cancel });
        Assert.That(changes, Is.EqualTo(new[] { ("pre_c", true), ("pre_c", false) }));
    }

    [Test]
    public void Auto_cross_origin_adds_cors_headers_to_the_stream_response()
    {
        var request = HandlerHarness.Request("a");
        request["auto-cross-origin"] = true;
        var args = HandlerHarness.AcceptArgs(request, 200, "OK", [("Content-Type", "text/plain"), ("X-Thing", "1"), ("Grip-Hold", "stream"), ("Grip-Channel", "c")], "");
        ((Dictionary<string, object?>)args["request-data"]!)["headers"] = new List<object?> { new List<object?> { "Origin"u8.ToArray(), "http://o.example"u8.ToArray() } };
        Assert.That(_engine.HandleAccept("1", args).Success, Is.True);
        _engine.StartAccepted();
        var head = _out.Sent.Single(s => s.Packet.Code == 200).Packet;
        Assert.That(head.Headers!.Select(h => $"{h.Name}: {h.Value}"), Is.EqualTo(new[]
        {
            "Content-Type: text/plain",
            "X-Thing: 1",
            "Access-Control-Allow-Methods: OPTIONS, HEAD, GET, POST, PUT, DELETE",
            "Access-Control-Expose-Headers: X-Thing",
            "Access-Control-Allow-Credentials: true",
            "Access-Control-Allow-Origin: http://o.example",
            "Access-Control-Max-Age: 3600",
        }));
    }

    [Test]
    public void Jsonp_extended_wraps_the_long_poll_timeout_response()
    {
        var request = HandlerHarness.Request("a");
        request["auto-cross-origin"] = true;
        request["jsonp-callback"] = "cb"u8.ToArray();
        request["jsonp-extended-response"] = true;
        var args = HandlerHarness.AcceptArgs(request, 200, "OK", [("Content-Type", "text/plain"), ("X-A", "1"), ("X-A", "2"), ("Grip-Hold", "response"), ("Grip-Channel", "c"), ("Grip-Timeout", "5")], "timed out\n");
        Assert.That(_engine.HandleAccept("1", args).Success, Is.True);
        _engine.StartAccepted();
        _out.Sent.Clear();
        RunFor(TimeSpan.FromSeconds(6));
        var resp = _out.Sent.Single().Packet;
        Assert.That((resp.Code, resp.Reason), Is.EqualTo((200, "OK")));
        Assert.That(Encoding.UTF8.GetString(resp.Body.Span), Is.EqualTo("/**/cb({\"body\":\"timed out\\n\",\"code\":200,\"headers\":{\"Content-Type\":\"text/plain\",\"X-A\":\"1, 2\"},\"reason\":\"OK\"});\n"));
        Assert.That(resp.Headers!.Select(h => $"{h.Name}: {h.Value}"), Is.EqualTo(new[] { "X-A: 1", "X-A: 2", "Content-Type: application/javascript", "Content-Length: " + resp.Body.Length }));
    }

    [Test]
    public void Sessions_of_one_accept_track_prev_ids_separately()
    {
        var args = HandlerHarness.AcceptArgs(HandlerHarness.Request("a"), 200, "OK", [("Grip-Hold", "response"), ("Grip-Channel", "c; prev-id=1")], "");
        ((List<object?>)args["requests"]!).Add(HandlerHarness.Request("b"));
        Assert.That(_engine.HandleAccept("1", args).Success, Is.True);
        _engine.StartAccepted();
        _out.Sent.Clear();
        _engine.Publish(Item("""{"channel":"c","id":"2","prev-id":"1","formats":{"http-response":{"body":"x"}}}"""));
        Assert.That(_out.Sent.Select(s => s.Packet.Id), Is.EquivalentTo(new[] { "a", "b" }));
    }
}
