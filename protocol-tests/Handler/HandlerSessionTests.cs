using System.Text;
using NUnit.Framework;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>The handler driven over real NetMQ tcp sockets, as the proxy and connmgr would.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HandlerSessionTests
{
    private HandlerHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new HandlerHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private static string Body(ZhttpPacket p) => Encoding.UTF8.GetString(p.Body.Span);

    private static (string, string)[] StreamHeaders(string channel) =>
        [("Content-Type", "text/plain"), ("Grip-Hold", "stream"), ("Grip-Channel", channel), ("Content-Length", "8"), ("Connection", "keep-alive")];

    private void AcceptStream(string id, string channel, int credits = 1000, string body = "initial\n")
    {
        var r = _h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request(id, credits), 200, "OK", StreamHeaders(channel), body));
        Assert.That(r.Success, Is.True, r.Condition);
        Assert.That(((Dictionary<string, object?>)r.Value!)["accepted"], Is.EqualTo(true));
    }

    [Test]
    public void Stream_hold_sends_keep_alive_head_then_published_chunks_in_order_then_close()
    {
        AcceptStream("0-0-1", "test");

        var ka = _h.ReceiveRouter();
        Assert.That((ka.Type, ka.Id, ka.Seq, ka.Multi, ka.From), Is.EqualTo((ZhttpPacketType.KeepAlive, "0-0-1", 1, true, HandlerHarness.HandlerId)));

        var head = _h.ReceiveRouter();
        Assert.Multiple(() =>
        {
            Assert.That((head.Type, head.Seq, head.Code, head.Reason, head.More), Is.EqualTo((ZhttpPacketType.Data, 2, 200, "OK", true)));
            Assert.That(head.Headers!.Select(h => h.Name), Is.EqualTo(new[] { "Content-Type" }), "Grip-*, Content-Length and hop-by-hop headers removed");
            Assert.That(Body(head), Is.EqualTo("initial\n"));
        });

        Assert.That(_h.PublishHttp("""{"channel":"test","formats":{"http-stream":{"content":"one\n"}}}"""), Does.StartWith("HTTP/1.1 200 OK"));
        var p1 = _h.ReceiveRouter();
        Assert.That((p1.Seq, Body(p1), p1.More), Is.EqualTo((3, "one\n", true)));

        _h.Push(Encoding.UTF8.GetBytes("""J{"channel":"test","formats":{"http-stream":{"content":"two\n"}}}"""));
        var p2 = _h.ReceiveRouter();
        Assert.That((p2.Seq, Body(p2), p2.More), Is.EqualTo((4, "two\n", true)));

        var tn = TnetString.Encode(new Dictionary<string, object?>
        {
            ["channel"] = "test"u8.ToArray(),
            ["formats"] = new Dictionary<string, object?> { ["http-stream"] = new Dictionary<string, object?> { ["content"] = "three\n"u8.ToArray() } },
        });
        _h.Push([(byte)'T', .. tn]);
        var p3 = _h.ReceiveRouter();
        Assert.That((p3.Seq, Body(p3), p3.More), Is.EqualTo((5, "three\n", true)));

        _h.Push(tn); // bare tnetstring works too
        Assert.That(Body(_h.ReceiveRouter()), Is.EqualTo("three\n"));

        _h.PublishHttp("""{"channel":"test","formats":{"http-stream":{"action":"close"}}}""");
        var end = _h.ReceiveRouter();
        Assert.That((end.Type, end.Seq, end.More, end.Body.Length), Is.EqualTo((ZhttpPacketType.Data, 7, false, 0)));

        // The session is over: later items go nowhere.
        _h.PublishHttp("""{"channel":"test","formats":{"http-stream":{"content":"late\n"}}}""");
        Assert.That(_h.TryReceiveRouter(TimeSpan.FromMilliseconds(300)), Is.Null);
    }

    [Test]
    public void Session_without_router_resp_is_answered_through_the_pub_socket()
    {
        // PUB/SUB joins late (the first packets may be dropped): poll with throwaway sessions until
        // one keep-alive gets through, then run the real one.
        var n = 0;
        Support.Eventually.TrueAsync(() =>
        {
            _h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request($"warm-{n++}", routerResp: false), 200, "OK", StreamHeaders("warm"), ""));
            var got = _h.TryReceiveSub(TimeSpan.FromMilliseconds(100));
            while (_h.TryReceiveSub(TimeSpan.FromMilliseconds(50)) is not null)
            {
            }
            return got is not null;
        }, "PUB connected").GetAwaiter().GetResult();

        var r = _h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request("0-0-9", routerResp: false), 200, "OK", StreamHeaders("pub"), ""));
        Assert.That(r.Success, Is.True);
        Assert.That(_h.ReceiveSub().Type, Is.EqualTo(ZhttpPacketType.KeepAlive));
        var head = _h.ReceiveSub();
        Assert.That((head.Code, head.Body.Length, head.More), Is.EqualTo((200, 0, true)));
        _h.PublishHttp("""{"channel":"pub","formats":{"http-stream":{"content":"x"}}}""");
        Assert.That(Body(_h.ReceiveSub()), Is.EqualTo("x"));
    }

    [Test]
    public void Credits_are_honoured_and_queued_items_flow_when_connmgr_grants_more()
    {
        AcceptStream("0-0-2", "cred", credits: 10, body: "");
        _h.ReceiveRouter(); // keep-alive
        var head = _h.ReceiveRouter();
        Assert.That(head.Body.Length, Is.EqualTo(0));

        for (var i = 0; i < 3; i++)
        {
            _h.PublishHttp("""{"channel":"cred","formats":{"http-stream":{"content":"N"}}}""".Replace("N", $"{i}aaaaaaa", StringComparison.Ordinal));
        }
        var received = new StringBuilder();
        received.Append(Body(_h.ReceiveRouter()));
        received.Append(Body(_h.ReceiveRouter()));
        Assert.That(received.ToString(), Is.EqualTo("0aaaaaaa1a"), "exactly 10 credits' worth");
        Assert.That(_h.TryReceiveRouter(TimeSpan.FromMilliseconds(300)), Is.Null, "nothing beyond the credits");

        _h.SendFromConnmgr(new ZhttpPacket { Id = "0-0-2", Seq = 1, Type = ZhttpPacketType.Credit, Credits = 100, Multi = true });
        while (received.Length < 24)
        {
            var p = _h.ReceiveRouter();
            Assert.That(p.More, Is.True);
            received.Append(Body(p));
        }
        Assert.That(received.ToString(), Is.EqualTo("0aaaaaaa1aaaaaaa2aaaaaaa"));
    }

    [Test]
    public void Cancel_from_connmgr_ends_the_session()
    {
        AcceptStream("0-0-3", "gone");
        _h.ReceiveRouter();
        _h.ReceiveRouter();
        _h.SendFromConnmgr(new ZhttpPacket { Id = "0-0-3", Seq = 1, Type = ZhttpPacketType.Cancel });
        // Ordering: a later publish is handled after the cancel (same engine loop), so nothing arrives.
        Support.Eventually.TrueAsync(() =>
        {
            _h.PublishHttp("""{"channel":"gone","formats":{"http-stream":{"content":"x"}}}""");
            return _h.TryReceiveRouter(TimeSpan.FromMilliseconds(200)) is null;
        }, "session removed").GetAwaiter().GetResult();
    }

    [Test]
    public void Wrong_seq_from_connmgr_is_answered_with_cancel()
    {
        AcceptStream("0-0-4", "seq");
        _h.ReceiveRouter();
        _h.ReceiveRouter();
        _h.SendFromConnmgr(new ZhttpPacket { Id = "0-0-4", Seq = 5, Type = ZhttpPacketType.Credit, Credits = 10 });
        var cancel = _h.ReceiveRouter();
        Assert.That((cancel.Type, cancel.Seq), Is.EqualTo((ZhttpPacketType.Cancel, 3)));
    }

    [Test]
    public void Stream_keep_alive_payload_is_sent_when_idle()
    {
        var headers = new[] { ("Grip-Hold", "stream"), ("Grip-Channel", "ka"), ("Grip-Keep-Alive", "ka\\n; format=cstring; timeout=1") };
        Assert.That(_h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request("0-0-5"), 200, "OK", headers, "")).Success, Is.True);
        _h.ReceiveRouter();
        _h.ReceiveRouter();
        var ka = _h.ReceiveRouter(TimeSpan.FromSeconds(5));
        Assert.That((Body(ka), ka.More), Is.EqualTo(("ka\n", true)));
    }

    [Test]
    public void Response_hold_times_out_with_the_instruct_response()
    {
        var headers = new[] { ("Content-Type", "text/plain"), ("X-Custom", "yes"), ("Grip-Hold", "response"), ("Grip-Channel", "lp"), ("Grip-Timeout", "1") };
        var started = DateTime.UtcNow;
        Assert.That(_h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request("0-0-6"), 200, "OK", headers, "timed out\n")).Success, Is.True);
        Assert.That(_h.ReceiveRouter().Type, Is.EqualTo(ZhttpPacketType.KeepAlive));
        var resp = _h.ReceiveRouter(TimeSpan.FromSeconds(15));
        Assert.Multiple(() =>
        {
            Assert.That(DateTime.UtcNow - started, Is.GreaterThan(TimeSpan.FromSeconds(4.5)), "timeout is raised to the 5 s minimum");
            Assert.That((resp.Code, resp.Reason, Body(resp), resp.More), Is.EqualTo((200, "OK", "timed out\n", false)));
            Assert.That(resp.Headers!.Select(h => $"{h.Name}: {h.Value}"), Is.EqualTo(new[] { "Content-Type: text/plain", "X-Custom: yes", "Content-Length: 10" }));
        });
    }

    [Test]
    public void Response_hold_publish_merges_headers_and_ends_the_request()
    {
        var headers = new[] { ("Content-Type", "text/plain"), ("X-Custom", "yes"), ("Grip-Hold", "response"), ("Grip-Channel", "lp2") };
        Assert.That(_h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request("0-0-7"), 200, "OK", headers, "timed out\n")).Success, Is.True);
        _h.ReceiveRouter();
        _h.PublishHttp("""{"channel":"lp2","formats":{"http-response":{"code":201,"headers":{"X-Pub":"p","X-Custom":"overridden"},"body":"published\n"}}}""");
        var resp = _h.ReceiveRouter();
        Assert.Multiple(() =>
        {
            Assert.That((resp.Code, resp.Reason, Body(resp), resp.More), Is.EqualTo((201, "Created", "published\n", false)));
            Assert.That(resp.Headers!.Select(h => $"{h.Name}: {h.Value}"), Is.EqualTo(new[] { "Content-Type: text/plain", "X-Pub: p", "X-Custom: overridden", "Content-Length: 10" }));
        });
        _h.PublishHttp("""{"channel":"lp2","formats":{"http-response":{"body":"again\n"}}}""");
        Assert.That(_h.TryReceiveRouter(TimeSpan.FromMilliseconds(300)), Is.Null, "only one response per hold");
    }

    [Test]
    public void Non_hold_instruct_is_answered_with_the_response_to_send()
    {
        var headers = new[] { ("Content-Type", "text/plain"), ("Grip-Channel", "x"), ("Grip-Status", "404 Nope"), ("Content-Length", "3"), ("Connection", "close") };
        var r = _h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request("0-0-8"), 200, "OK", headers, "abc"));
        Assert.That(r.Success, Is.True);
        var response = ((Dictionary<string, object?>)r.Value!)["response"] as Dictionary<string, object?>;
        Assert.Multiple(() =>
        {
            Assert.That(response!["code"], Is.EqualTo(404L));
            Assert.That(response["reason"], Is.EqualTo("Nope"u8.ToArray()));
            Assert.That(((List<object?>)response["headers"]!).Count, Is.EqualTo(1));
            Assert.That(response["body"], Is.EqualTo("abc"u8.ToArray()));
        });
        Assert.That(_h.TryReceiveRouter(TimeSpan.FromMilliseconds(200)), Is.Null, "the proxy sends it, not the handler");
    }

    [Test]
    public void Bad_instruct_fails_with_bad_format_and_the_message()
    {
        var r = _h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request("0-0-10"), 200, "OK", [("Grip-Hold", "forever")], ""));
        Assert.That((r.Success, r.Condition), Is.EqualTo((false, "bad-format")));
        Assert.That(Encoding.UTF8.GetString((byte[])r.Value!), Is.EqualTo("Grip-Hold must be set to either 'response' or 'stream'"));
    }

    [Test]
    public void Malformed_accept_fails_with_bad_request_and_unknown_method_is_not_found()
    {
        var r = _h.CallAccept(new Dictionary<string, object?> { ["requests"] = 5L });
        Assert.That((r.Success, r.Condition), Is.EqualTo((false, "bad-request")));
        var m = _h.CallAccept(new Dictionary<string, object?>(), method: "bogus");
        Assert.That((m.Success, m.Condition), Is.EqualTo((false, "method-not-found")));
    }

    [Test]
    public void Garbage_on_pull_is_dropped_and_the_handler_keeps_working()
    {
        AcceptStream("0-0-11", "g");
        _h.ReceiveRouter();
        _h.ReceiveRouter();
        _h.Push("J{not json"u8.ToArray());
        _h.Push("J[1,2]"u8.ToArray());
        _h.Push("T99:truncated"u8.ToArray());
        _h.Push("{\"channel\":\"g\"}"u8.ToArray());
        _h.Push([0xff, 0x00, 0x13]);
        _h.Push(Array.Empty<byte>());
        _h.Push([[.. "J{}"u8], [.. "extra"u8]]);
        _h.Push("J{\"channel\":\"g\"}"u8.ToArray());
        _h.Push("""J{"channel":"g","formats":{"http-stream":{"content":"still here"}}}"""u8.ToArray());
        Assert.That(Body(_h.ReceiveRouter()), Is.EqualTo("still here"));
        Assert.That(RawHttp.SendAsync(_h.HttpPort, "GET / HTTP/1.1\r\n\r\n").GetAwaiter().GetResult(), Does.Contain("Pushpin API"));
    }

    [Test]
    public void Command_socket_answers_get_zmq_uris_publish_and_unknown_methods()
    {
        var uris = _h.Command("get-zmq-uris");
        Assert.That(uris.Success, Is.True);
        var map = (Dictionary<string, object?>)uris.Value!;
        Assert.That(Encoding.UTF8.GetString((byte[])map["command"]!), Is.EqualTo($"tcp://127.0.0.1:{_h.CommandPort}"));
        Assert.That(Encoding.UTF8.GetString((byte[])map["publish-pull"]!), Is.EqualTo($"tcp://127.0.0.1:{_h.PullPort}"));
        Assert.That(map.ContainsKey("publish-sub"), Is.False);

        AcceptStream("0-0-12", "cmd");
        _h.ReceiveRouter();
        _h.ReceiveRouter();
        var item = new Dictionary<string, object?>
        {
            ["channel"] = "cmd"u8.ToArray(),
            ["formats"] = new Dictionary<string, object?> { ["http-stream"] = new Dictionary<string, object?> { ["content"] = "via cmd"u8.ToArray() } },
        };
        var ok = _h.Command("publish", new Dictionary<string, object?> { ["items"] = new List<object?> { item } });
        Assert.That((ok.Success, ok.Value), Is.EqualTo((true, (object?)null)));
        Assert.That(Body(_h.ReceiveRouter()), Is.EqualTo("via cmd"));

        var bad = _h.Command("publish", new Dictionary<string, object?> { ["items"] = new List<object?> { new Dictionary<string, object?> { ["channel"] = "x"u8.ToArray() } } });
        Assert.That((bad.Success, bad.Condition, Encoding.UTF8.GetString((byte[])bad.Value!)), Is.EqualTo((false, "bad-request", "Invalid format: no formats specified")));
        var noItems = _h.Command("publish", []);
        Assert.That(Encoding.UTF8.GetString((byte[])noItems.Value!), Is.EqualTo("Invalid format: object does not contain 'items'"));

        Assert.That(_h.Command("recover").Success, Is.True);
        var unknown = _h.Command("bogus");
        Assert.That((unknown.Success, unknown.Condition), Is.EqualTo((false, "method-not-found")));
    }
}
