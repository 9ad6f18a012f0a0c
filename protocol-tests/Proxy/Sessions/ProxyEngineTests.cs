using System.Text;
using NUnit.Framework;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;
using Pushpin.Common.Zrpc;
using Pushpin.ProtocolTests.Support;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Signing;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

[CancelAfter(60_000)]
public sealed class ProxyEngineTests
{
    private static string Text(ReadOnlyMemory<byte> b) => Encoding.UTF8.GetString(b.Span);

    private static string? Header(ZhttpPacket p, string name) => p.GetHeader(name);

    [Test]
    public async Task Get_is_forwarded_with_rewritten_headers_and_the_response_relayed()
    {
        var key = GripSigningKey.FromSecret("changeme"u8.ToArray());
        await using var h = await ProxyHarness.StartAsync(["*,\"header=X-Route: yes\" 127.0.0.1:8081"], o => o with { SigKey = key, XffUntrusted = XffRule.Parse("append") });

        var id = h.Send(new ZhttpPacket
        {
            Method = "GET",
            Uri = "http://example.com:7999/path?x=1",
            Headers =
            [
                new("Host", "example.com:7999"), new("Connection", "keep-alive"), new("Accept-Encoding", "gzip"),
                new("Grip-Sig", "forged"), new("Grip-Foo", "bar"), new("X-Forwarded-For", "1.2.3.4"), new("User-Agent", "t"),
            ],
        });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("example.com", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(req.Method, Is.EqualTo("GET"));
            Assert.That(req.Uri, Is.EqualTo("http://example.com:7999/path?x=1"));
            Assert.That((req.ConnectHost, req.ConnectPort), Is.EqualTo(("127.0.0.1", 8081)));
            Assert.That(req.Stream && req.RouterResp && req.IgnorePolicies, Is.True);
            Assert.That(req.Credits, Is.EqualTo(200_000));
            Assert.That(req.From, Is.EqualTo("proxy_test"));
            Assert.That(req.More, Is.False);
            Assert.That(Header(req, "Connection"), Is.Null);
            Assert.That(Header(req, "Accept-Encoding"), Is.Null);
            Assert.That(Header(req, "Grip-Foo"), Is.Null);
            Assert.That(Header(req, "Host"), Is.EqualTo("example.com:7999"));
            Assert.That(Header(req, "X-Route"), Is.EqualTo("yes"));
            Assert.That(Header(req, "X-Forwarded-For"), Is.EqualTo("1.2.3.4, 127.0.0.1"));
            Assert.That(Header(req, "User-Agent"), Is.EqualTo("t"));
            Assert.That(Header(req, "Grip-Feature"), Does.StartWith("status, session, link:next, link:gone"));
            Assert.That(GripSig.Validate(Header(req, "Grip-Sig")!, key, DateTimeOffset.UtcNow), Is.True);
        });

        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Content-Type", "text/plain"), new("Connection", "close")], Body = "hello"u8.ToArray() }, 0);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(first.Code, Is.EqualTo(200));
            Assert.That(first.From, Is.EqualTo("proxy_test"));
            Assert.That(body, Is.EqualTo("hello"));
            Assert.That(first.More, Is.False, "a single final packet lets connmgr set Content-Length");
            Assert.That(Header(first, "Connection"), Is.Null);
            Assert.That(Header(first, "Content-Type"), Is.EqualTo("text/plain"));
        });
    }

    [Test]
    public async Task Post_body_is_forwarded_in_order_under_the_targets_credits()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/in", Headers = [new("Content-Type", "text/plain")], More = true });
        var ack = await h.NextFromProxyAsync(id);
        Assert.That((ack!.Type, ack.Credits), Is.EqualTo((ZhttpPacketType.Credit, 200_000)));

        var req = await h.ExpectOutboundAsync(p => p.Method == "POST");
        Assert.That(req.More, Is.True);
        h.SendMore(id, 1, new ZhttpPacket { Body = "abc"u8.ToArray(), More = true });
        h.SendMore(id, 2, new ZhttpPacket { Body = "defgh"u8.ToArray() });

        // The backend grants 4 bytes, then 100: the proxy must not send more than granted.
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 4 }, 0);
        var part1 = await h.ExpectOutboundAsync(p => p.Id == req.Id);
        Assert.That(Text(part1.Body), Is.EqualTo("abc"));
        var part2 = await h.ExpectOutboundAsync(p => p.Id == req.Id);
        Assert.That((Text(part2.Body), part2.More), Is.EqualTo(("d", true)));
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 100 }, 1);
        var part3 = await h.ExpectOutboundAsync(p => p.Id == req.Id);
        Assert.That((Text(part3.Body), part3.More), Is.EqualTo(("efgh", false)));

        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 201, Reason = "Created", Body = "ok"u8.ToArray() }, 2);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((201, "ok")));
    }

    [Test]
    public async Task Streamed_response_waits_for_the_clients_credits_and_returns_them_to_the_target()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/stream", Credits = 5 });
        var req = await h.ExpectOutboundAsync(p => p.Method == "GET");
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "0123456789"u8.ToArray(), More = true }, 0);

        var first = await h.ExpectFromProxyAsync(id);
        Assert.That((first.Code, Text(first.Body), first.More), Is.EqualTo((200, "01234", true)));
        var credit = await h.ExpectOutboundAsync(p => p.Id == req.Id);
        Assert.That((credit.Type, credit.Credits), Is.EqualTo((ZhttpPacketType.Credit, 5)), "freed room goes back to the target");

        h.ReplyToProxy(req.Id!, new ZhttpPacket { Body = "ab"u8.ToArray() }, 1);
        h.SendMore(id, 1, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 5 });
        var second = await h.ExpectFromProxyAsync(id);
        Assert.That((Text(second.Body), second.More), Is.EqualTo(("56789", true)));
        h.SendMore(id, 2, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 100 });
        var third = await h.ExpectFromProxyAsync(id);
        Assert.That((Text(third.Body), third.More), Is.EqualTo(("ab", false)));
    }

    [Test]
    public async Task A_multi_id_credit_packet_gives_each_listed_session_its_credits()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"]);
        var ids = new List<string>();
        var backends = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var id = h.Send(new ZhttpPacket { Method = "GET", Uri = $"http://example.com/stream/{i}", Credits = 5 });
            var req = await h.ExpectOutboundAsync(p => p.Method == "GET" && p.Uri!.EndsWith($"/{i}", StringComparison.Ordinal));
            h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "0123456789"u8.ToArray(), More = true }, 0);
            var first = await h.ExpectFromProxyAsync(id);
            Assert.That(Text(first.Body), Is.EqualTo("01234"));
            ids.Add(id);
            backends.Add(req.Id!);
        }
        // connmgr gives both clients' room back in one packet, each id with its own seq.
        h.Clients.SendToRouter(h.Options.InstanceId, new ZhttpPacket
        {
            From = "connmgr",
            Type = ZhttpPacketType.Credit,
            Credits = 5,
            Ids = [new(ids[0], 1), new(ids[1], 1)],
            Multi = true,
        });
        foreach (var id in ids)
        {
            var rest = await h.ExpectFromProxyAsync(id);
            Assert.That(Text(rest.Body), Is.EqualTo("56789"), id);
        }
    }

    [Test]
    public async Task Connect_failure_fails_over_to_the_next_target_but_an_http_error_does_not()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:1001 127.0.0.1:1002 127.0.0.1:1003"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/" });
        var a = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.That(a.ConnectPort, Is.EqualTo(1001));
        h.ReplyToProxy(a.Id!, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "remote-connection-failed" }, 0);
        var b = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.That(b.ConnectPort, Is.EqualTo(1002));
        h.ReplyToProxy(b.Id!, new ZhttpPacket { Code = 500, Reason = "Internal Server Error", Body = "oops"u8.ToArray() }, 0);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((500, "oops")));
    }

    [TestCase(false, "Error while proxying to origin.\n")]
    [TestCase(true, "Unable to connect to any targets. Tried: 127.0.0.1:1001, 127.0.0.1:1002\n")]
    public async Task All_targets_failing_gives_502(bool debug, string expected)
    {
        await using var h = await ProxyHarness.StartAsync([debug ? "*,debug 127.0.0.1:1001 127.0.0.1:1002" : "* 127.0.0.1:1001 127.0.0.1:1002"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/" });
        for (var i = 0; i < 2; i++)
        {
            var r = await h.ExpectOutboundAsync(p => p.Method is not null);
            h.ReplyToProxy(r.Id!, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "connection-timeout" }, 0);
        }
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That((first.Code, first.Reason), Is.EqualTo((502, "Bad Gateway")));
            Assert.That(body, Is.EqualTo(expected));
            Assert.That(Header(first, "Content-Type"), Is.EqualTo("text/plain"));
        });
    }

    [Test]
    public async Task Policy_violation_is_a_502_without_failover()
    {
        await using var h = await ProxyHarness.StartAsync(["*,debug 127.0.0.1:1001,untrusted 127.0.0.1:1002"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/" });
        var r = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.That(r.IgnorePolicies, Is.False, "untrusted targets obey the outbound policy");
        h.ReplyToProxy(r.Id!, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "policy-violation" }, 0);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((502, "Error: Origin host/IP blocked.\n")));
    }

    [Test]
    public async Task Unknown_host_gets_route_not_found()
    {
        await using var h = await ProxyHarness.StartAsync(["only.com test"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://other.com/" });
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((502, "Route not found\n")));
    }

    [TestCase("/", 200, "Hello from the Pushpin test handler!\n")]
    [TestCase("/nope", 404, "no such test resource\n")]
    [TestCase("/t", 404, "no such test resource\n")]
    [TestCase("/t/", 200, "Hello from the Pushpin test handler!\n")]
    public async Task Test_target_answers_inside_the_proxy(string path, int code, string expected)
    {
        await using var h = await ProxyHarness.StartAsync(["*,path_beg=/t/ test", "* test"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com" + path });
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((code, expected)));
    }

    [Test]
    public async Task Test_target_refuses_a_body_over_100000_bytes()
    {
        await using var h = await ProxyHarness.StartAsync(["* test"]);
        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/", More = true });
        var ack = await h.NextFromProxyAsync(id);
        Assert.That(ack!.Type, Is.EqualTo(ZhttpPacketType.Credit));
        h.SendMore(id, 1, new ZhttpPacket { Body = new byte[60_000], More = true });
        h.SendMore(id, 2, new ZhttpPacket { Body = new byte[60_000], More = true });
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((400, "request too large\n")));
    }

    private static async Task<(ProxyHarness H, string Id, ZrpcCall Call)> HandOffAsync(string route, string path, Func<Pushpin.Proxy.ProxyOptions, Pushpin.Proxy.ProxyOptions>? configure = null)
    {
        var h = await ProxyHarness.StartAsync([route], configure);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com" + path, Headers = [new("Host", "example.com")], UserData = "ud"u8.ToArray() });
        var start = await h.ExpectFromProxyAsync(id);
        Assert.That(start.Type, Is.EqualTo(ZhttpPacketType.HandoffStart));
        h.SendMore(id, 1, new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed });
        var call = await h.ExpectAcceptCallAsync();
        return (h, id, call);
    }

    [Test]
    public async Task Test_response_instruct_is_handed_to_the_handler_with_accept_args()
    {
        var (h, id, call) = await HandOffAsync("* test", "/response?channel=a&channel=b");
        await using var _ = h;
        Assert.That(call.Request.Method, Is.EqualTo("accept"));
        var args = call.Request.Args!;
        var req = (Dictionary<string, object?>)args.GetList("requests")![0]!;
        var rid = req.GetDictionary("rid")!;
        var response = args.GetDictionary("response")!;
        var headers = response.GetList("headers")!.Cast<List<object?>>().Select(l => (TnetStringValues.AsString(l[0]), TnetStringValues.AsString(l[1]))).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(rid.GetString("sender"), Is.EqualTo("connmgr"));
            Assert.That(rid.GetString("id"), Is.EqualTo(id));
            Assert.That(req.GetInteger("in-seq"), Is.EqualTo(2), "next expected from connmgr after handoff-proceed");
            Assert.That(req.GetInteger("out-seq"), Is.EqualTo(2), "ack and handoff-start were sent");
            Assert.That(req.GetInteger("out-credits"), Is.EqualTo(8192));
            Assert.That(req.GetBoolean("router-resp"), Is.True);
            Assert.That(req.GetString("peer-address"), Is.EqualTo("127.0.0.1"));
            Assert.That(TnetStringValues.AsString(req["user-data"]), Is.EqualTo("ud"));
            Assert.That(response.GetInteger("code"), Is.EqualTo(200));
            Assert.That(headers, Does.Contain(((string?)"Grip-Hold", (string?)"response")));
            Assert.That(headers, Does.Contain(((string?)"Grip-Channel", (string?)"a, b")));
            Assert.That(response.GetString("body"), Is.EqualTo("nothing for now\n"));
            Assert.That(args.GetString("route"), Is.EqualTo("*,*,*,*"));
            Assert.That(args.GetDictionary("request-data")!.GetString("uri"), Is.EqualTo("http://example.com/response?channel=a&channel=b"));
            Assert.That(args.GetDictionary("orig-request-data")!.GetString("method"), Is.EqualTo("GET"));
        });
        call.Ok(new Dictionary<string, object?> { ["accepted"] = true });
        await Eventually.TrueAsync(() => h.Engine.SessionCount == 0, "session handed over");
    }

    [Test]
    public async Task Accept_timeout_resumes_the_session_and_answers_500()
    {
        var (h, id, _) = await HandOffAsync("* test", "/stream", o => o with { AcceptTimeout = TimeSpan.FromMilliseconds(300) });
        await using var _h = h;
        var resume = await h.NextFromProxyAsync(id);
        Assert.That(resume!.Type, Is.EqualTo(ZhttpPacketType.KeepAlive), "the proxy takes the session back first");
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((500, "Accept service unavailable.\n")));
    }

    [Test]
    public async Task Empty_accept_result_answers_500()
    {
        var (h, id, call) = await HandOffAsync("* test", "/response");
        await using var _h = h;
        call.Ok(new Dictionary<string, object?>());
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((500, "Accept service unavailable.\n")));
    }

    [Test]
    public async Task Accept_result_with_a_response_is_sent_by_the_proxy()
    {
        var (h, id, call) = await HandOffAsync("* test", "/response");
        await using var _h = h;
        call.Ok(new Dictionary<string, object?>
        {
            ["response"] = new Dictionary<string, object?>
            {
                ["code"] = 202L,
                ["reason"] = "Accepted"u8.ToArray(),
                ["headers"] = new List<object?> { new List<object?> { "Content-Type"u8.ToArray(), "text/plain"u8.ToArray() } },
                ["body"] = "instant\n"u8.ToArray(),
            },
        });
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, first.Reason, body), Is.EqualTo((202, "Accepted", "instant\n")));
    }

    [Test]
    public async Task Backend_grip_response_is_buffered_and_handed_off()
    {
        await using var h = await ProxyHarness.StartAsync(["*,id=api 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/poll" });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Content-Type", "application/grip-instruct")], Body = "{\"hold\":"u8.ToArray(), More = true }, 0);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Body = "{\"mode\":\"response\"}}"u8.ToArray() }, 1);
        var start = await h.ExpectFromProxyAsync(id);
        Assert.That(start.Type, Is.EqualTo(ZhttpPacketType.HandoffStart));
        h.SendMore(id, 1, new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed });
        var call = await h.ExpectAcceptCallAsync();
        Assert.Multiple(() =>
        {
            Assert.That(call.Request.Args!.GetDictionary("response")!.GetString("body"), Is.EqualTo("{\"hold\":{\"mode\":\"response\"}}"));
            Assert.That(call.Request.Args!.GetString("route"), Is.EqualTo("api"));
            Assert.That(call.Request.Args!.GetBoolean("separate-stats"), Is.True);
        });
        call.Ok(new Dictionary<string, object?> { ["accepted"] = true });
    }

    [Test]
    public async Task Too_large_instruct_is_a_502()
    {
        await using var h = await ProxyHarness.StartAsync(["*,debug 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/poll" });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Grip-Hold", "response")], Body = new byte[60_000], More = true }, 0);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Body = new byte[60_000], More = true }, 1);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((502, "GRIP instruct response too large from 127.0.0.1:8081\n")));
    }

    [Test]
    public async Task No_grip_route_relays_grip_headers_verbatim()
    {
        await using var h = await ProxyHarness.StartAsync(["*,no_grip 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/" });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.That(Header(req, "Grip-Feature"), Is.Null);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Grip-Hold", "response")], Body = "raw"u8.ToArray() }, 0);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, Header(first, "Grip-Hold"), body), Is.EqualTo((200, "response", "raw")));
    }

    [Test]
    public async Task Large_stream_hold_initial_response_is_sent_by_the_proxy_then_handed_off()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/feed", Credits = 1_000_000 });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        h.ReplyToProxy(req.Id!, new ZhttpPacket
        {
            Code = 200,
            Reason = "OK",
            Headers = [new("Grip-Hold", "stream"), new("Grip-Channel", "feed"), new("Grip-Status", "201 Made"), new("Content-Length", "150000"), new("Content-Type", "text/plain")],
            Body = new byte[60_000],
            More = true,
        }, 0);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Body = new byte[90_000] }, 1);

        var first = await h.ExpectFromProxyAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That((first.Code, first.Reason), Is.EqualTo((201, "Made")));
            Assert.That(first.Headers!.Select(x => x.Name), Is.EqualTo(new[] { "Content-Type" }));
            Assert.That(first.More, Is.True);
        });
        var total = first.Body.Length;
        ZhttpPacket p;
        while (true)
        {
            p = await h.ExpectFromProxyAsync(id);
            if (p.Type != ZhttpPacketType.Data)
            {
                break;
            }
            Assert.That(p.More, Is.True, "the stream stays open for the handler");
            total += p.Body.Length;
        }
        Assert.That((total, p.Type), Is.EqualTo((150_000, ZhttpPacketType.HandoffStart)));

        h.SendMore(id, 1, new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed });
        var call = await h.ExpectAcceptCallAsync();
        var args = call.Request.Args!;
        var request = (Dictionary<string, object?>)args.GetList("requests")![0]!;
        var response = args.GetDictionary("response")!;
        Assert.Multiple(() =>
        {
            Assert.That(args.GetBoolean("response-sent"), Is.True);
            Assert.That(request.GetInteger("response-code"), Is.EqualTo(201));
            Assert.That(response.GetInteger("code"), Is.EqualTo(200));
            Assert.That(response.GetList("headers")!.Cast<List<object?>>().Select(l => TnetStringValues.AsString(l[0])), Does.Contain("Grip-Hold"));
        });
        call.Ok(new Dictionary<string, object?> { ["accepted"] = true });
        await Eventually.TrueAsync(() => h.Engine.SessionCount == 0, "session handed over");
    }

    [Test]
    public async Task Grip_response_to_a_request_body_over_100000_bytes_is_a_400()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/", More = true });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 200_000 }, 0);
        h.SendMore(id, 1, new ZhttpPacket { Body = new byte[60_000], More = true });
        h.SendMore(id, 2, new ZhttpPacket { Body = new byte[60_000] });
        var total = 0;
        while (total < 120_000)
        {
            var part = await h.ExpectOutboundAsync(p => p.Id == req.Id && p.Type == ZhttpPacketType.Data);
            total += part.Body.Length;
        }
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Grip-Hold", "response")] }, 1);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((400, "Request too large to accept GRIP instruct.\n")));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Target_failure_after_the_response_started_ends_uncleanly_or_appends_a_debug_note(bool debug)
    {
        await using var h = await ProxyHarness.StartAsync([debug ? "*,debug 127.0.0.1:8081" : "* 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/" });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "part"u8.ToArray(), More = true }, 0);
        var first = await h.ExpectFromProxyAsync(id);
        Assert.That((first.Code, first.More), Is.EqualTo((200, true)));
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "connection-timeout" }, 1);
        var next = await h.ExpectFromProxyAsync(id);
        if (debug)
        {
            Assert.That((next.Type, Text(next.Body), next.More), Is.EqualTo((ZhttpPacketType.Data, "\n\nError while proxying to origin.\n", false)));
        }
        else
        {
            Assert.That(next.Type, Is.EqualTo(ZhttpPacketType.Cancel));
        }
    }

    [TestCase(false, "Error while proxying to origin.\n")]
    [TestCase(true, "Failed to parse accept instructions: bad hold mode\n")]
    public async Task Bad_format_accept_failure_is_a_502(bool debug, string expected)
    {
        var (h, id, call) = await HandOffAsync(debug ? "*,debug test" : "* test", "/response");
        await using var _h = h;
        call.Fail("bad-format", "Failed to parse accept instructions: bad hold mode"u8.ToArray());
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((502, expected)));
    }
}
