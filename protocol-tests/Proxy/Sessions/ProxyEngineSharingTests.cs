using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;
using Pushpin.Common.Zrpc;
using Pushpin.ProtocolTests.Support;
using Pushpin.Proxy;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary>Response sharing: requests with the same inspect <c>sharing-key</c> share one backend request while it is in flight.</summary>
[CancelAfter(60_000)]
public sealed class ProxyEngineSharingTests
{
    [Test]
    public async Task Concurrent_requests_with_one_sharing_key_make_one_backend_request_and_get_the_same_response()
    {
        await using var s = await SharingSetup.StartAsync();
        var (first, second) = await s.SendTwoSharedAsync("one", new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Content-Type", "text/plain")], Body = "shared body"u8.ToArray() });
        var got = await CollectAsync(s.H, [first, second], p => p.Type == ZhttpPacketType.Data && !p.More);
        var (r1, b1) = Response(got[first]);
        var (r2, b2) = Response(got[second]);
        Assert.Multiple(() =>
        {
            Assert.That((r1.Code, b1), Is.EqualTo((200, "shared body")));
            Assert.That((r2.Code, b2), Is.EqualTo((200, "shared body")));
            Assert.That(r2.GetHeader("Content-Type"), Is.EqualTo("text/plain"));
        });
        var extra = await s.H.NextOutboundAsync(TimeSpan.FromMilliseconds(300));
        Assert.That(extra?.Method, Is.Null, "no second backend request");
    }

    [Test]
    public async Task Requests_with_different_sharing_keys_make_their_own_backend_requests()
    {
        await using var s = await SharingSetup.StartAsync();
        var a = s.H.Send(Get("/shared?k=a"));
        var b = s.H.Send(Get("/shared?k=b"));
        var reqs = new Dictionary<string, ZhttpPacket>();
        while (reqs.Count < 2)
        {
            var p = await s.H.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("/shared", StringComparison.Ordinal));
            reqs[p.Uri!] = p;
        }
        foreach (var (uri, p) in reqs)
        {
            s.H.ReplyToProxy(p.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = System.Text.Encoding.UTF8.GetBytes(uri[^1..]) }, 0);
        }
        var got = await CollectAsync(s.H, [a, b], p => p.Type == ZhttpPacketType.Data && !p.More);
        var (_, ba) = Response(got[a]);
        var (_, bb) = Response(got[b]);
        Assert.Multiple(() =>
        {
            Assert.That((ba, bb), Is.EqualTo(("a", "b")));
            Assert.That(s.H.Engine.SharingJoins, Is.Zero);
        });
    }

    [Test]
    public async Task A_shared_grip_response_is_handed_off_for_every_joined_client()
    {
        await using var s = await SharingSetup.StartAsync();
        var (first, second) = await s.SendTwoSharedAsync("grip", new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Grip-Hold", "response"), new("Grip-Channel", "news")], Body = "held"u8.ToArray() });
        var got = await CollectAsync(s.H, [first, second], p => p.Type == ZhttpPacketType.HandoffStart);
        foreach (var id in (string[])[first, second])
        {
            Assert.That(got[id].Any(p => p.Code >= 0), Is.False, "nothing is sent before the handoff");
            s.H.SendMore(id, 1, new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed });
        }
        var calls = new[] { await s.H.ExpectAcceptCallAsync(), await s.H.ExpectAcceptCallAsync() };
        var rids = new HashSet<string>();
        foreach (var call in calls)
        {
            Assert.That(call.Request.Method, Is.EqualTo("accept"));
            var requests = (List<object?>)call.Request.Args!["requests"]!;
            rids.Add(TnetStringValues.AsString(((Dictionary<string, object?>)((Dictionary<string, object?>)requests[0]!)["rid"]!)["id"])!);
            call.Ok(new Dictionary<string, object?> { ["accepted"] = true });
        }
        Assert.That(rids, Is.EquivalentTo(new[] { first, second }), "each joined client is handed off");
    }

    [Test]
    public async Task The_slowest_sharing_client_paces_the_backend_and_every_client_gets_the_whole_body()
    {
        await using var s = await SharingSetup.StartAsync(o => o with { OutboundCredits = 1000 });
        var (fast, slow, req) = await s.SendTwoAsync("pace", fastCredits: 100_000, slowCredits: 100);
        Assert.That(req.Credits, Is.EqualTo(1000), "the backend's initial window");
        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = new byte[1000], More = true }, 0);

        // The fast client passed on 1,000 bytes, the slow one 100: only 100 go back to the backend.
        var credit = await s.H.ExpectOutboundAsync(p => p.Type == ZhttpPacketType.Credit);
        Assert.That(credit.Credits, Is.EqualTo(100));
        s.H.SendMore(slow, 1, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 900 });
        credit = await s.H.ExpectOutboundAsync(p => p.Type == ZhttpPacketType.Credit);
        Assert.That(credit.Credits, Is.EqualTo(900), "the rest once the slow client read it");

        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Body = "end"u8.ToArray() }, 1);
        s.H.SendMore(slow, 2, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 100 });
        var got = await CollectAsync(s.H, [fast, slow], p => p.Type == ZhttpPacketType.Data && !p.More);
        Assert.Multiple(() =>
        {
            Assert.That(Response(got[fast]).Body, Has.Length.EqualTo(1003));
            Assert.That(Response(got[slow]).Body, Has.Length.EqualTo(1003));
        });
    }

    [Test]
    public async Task The_backend_request_outlives_the_first_client_for_the_others_sharing_it()
    {
        await using var s = await SharingSetup.StartAsync();
        var (first, second, req) = await s.SendTwoAsync("outlive");
        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "part one, "u8.ToArray(), More = true }, 0);
        var started = await CollectAsync(s.H, [first, second], p => p.Code == 200);
        s.H.SendMore(first, 1, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        await Eventually.TrueAsync(() => s.H.Engine.SessionCount == 1, "the first client's session ends");

        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Body = "part two"u8.ToArray() }, 1);
        var got = await CollectAsync(s.H, [second], p => p.Type == ZhttpPacketType.Data && !p.More);
        Assert.That(Response([.. started[second], .. got[second]]).Body, Is.EqualTo("part one, part two"));
        ZhttpPacket? extra;
        while ((extra = await s.H.NextOutboundAsync(TimeSpan.FromMilliseconds(300))) is not null)
        {
            Assert.That(extra.Type, Is.Not.EqualTo(ZhttpPacketType.Cancel), "the backend request was neither cancelled mid-way nor after it completed");
        }
    }

    [Test]
    public async Task A_request_the_first_client_left_before_the_response_still_answers_the_others()
    {
        await using var s = await SharingSetup.StartAsync();
        var (first, second, req) = await s.SendTwoAsync("early");
        s.H.SendMore(first, 1, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        await Eventually.TrueAsync(() => s.H.Engine.SessionCount == 1, "the first client's session ends");
        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "for the rest"u8.ToArray() }, 0);
        var got = await CollectAsync(s.H, [second], p => p.Type == ZhttpPacketType.Data && !p.More);
        Assert.That(Response(got[second]).Body, Is.EqualTo("for the rest"));
    }

    [Test]
    public async Task A_shared_backend_request_is_cancelled_once_every_client_left()
    {
        await using var s = await SharingSetup.StartAsync();
        var (first, second, req) = await s.SendTwoAsync("everyone-left");
        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "x"u8.ToArray(), More = true }, 0);
        await s.H.ExpectFromProxyAsync(second, p => p.Code == 200);
        s.H.SendMore(first, 1, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        s.H.SendMore(second, 1, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        var cancel = await s.H.ExpectOutboundAsync(p => p.Type == ZhttpPacketType.Cancel);
        Assert.That(cancel.Id, Is.EqualTo(req.Id));
    }

    [Test]
    public async Task A_late_joiner_is_caught_up_with_the_response_so_far()
    {
        await using var s = await SharingSetup.StartAsync();
        var first = s.H.Send(Get("/shared?k=late"));
        var req = await s.H.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("/shared", StringComparison.Ordinal));
        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Content-Type", "text/plain")], Body = "hello "u8.ToArray(), More = true }, 0);
        var started = await CollectAsync(s.H, [first], p => p.Code == 200);

        var late = s.H.Send(Get("/shared?k=late"));
        await Eventually.TrueAsync(() => s.H.Engine.SharingJoins == 1, "the late request joins");
        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Body = "world"u8.ToArray() }, 1);
        var got = await CollectAsync(s.H, [first, late], p => p.Type == ZhttpPacketType.Data && !p.More);
        var (start, body) = Response(got[late]);
        Assert.Multiple(() =>
        {
            Assert.That((start.Code, body), Is.EqualTo((200, "hello world")));
            Assert.That(start.GetHeader("Content-Type"), Is.EqualTo("text/plain"));
            Assert.That(Response([.. started[first], .. got[first]]).Body, Is.EqualTo("hello world"));
        });
    }

    [Test]
    public async Task A_request_arriving_after_the_shared_response_completed_makes_its_own()
    {
        await using var s = await SharingSetup.StartAsync();
        var first = s.H.Send(Get("/shared?k=done"));
        var req = await s.H.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("/shared", StringComparison.Ordinal));
        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "one"u8.ToArray() }, 0);
        Assert.That((await s.H.ReadResponseAsync(first)).Body, Is.EqualTo("one"));

        var again = s.H.Send(Get("/shared?k=done"));
        var req2 = await s.H.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("/shared", StringComparison.Ordinal));
        s.H.ReplyToProxy(req2.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "two"u8.ToArray() }, 0);
        Assert.Multiple(async () =>
        {
            Assert.That((await s.H.ReadResponseAsync(again)).Body, Is.EqualTo("two"));
            Assert.That(s.H.Engine.SharingJoins, Is.Zero);
        });
    }

    [Test]
    public async Task A_backend_error_before_the_response_reaches_every_sharing_client()
    {
        await using var s = await SharingSetup.StartAsync();
        var (first, second, req) = await s.SendTwoAsync("error");
        s.H.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "bad-request" }, 0);
        var got = await CollectAsync(s.H, [first, second], p => p.Type == ZhttpPacketType.Data && !p.More);
        Assert.Multiple(() =>
        {
            Assert.That(Response(got[first]).First.Code, Is.EqualTo(502));
            Assert.That(Response(got[second]).First.Code, Is.EqualTo(502));
        });
    }

    /// <summary>Reads the clients' packets (interleaved) until each session gave one that <paramref name="done"/> accepts.</summary>
    private static async Task<Dictionary<string, List<ZhttpPacket>>> CollectAsync(ProxyHarness h, string[] ids, Func<ZhttpPacket, bool> done)
    {
        var got = ids.ToDictionary(i => i, _ => new List<ZhttpPacket>());
        var finished = new HashSet<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (finished.Count < ids.Length)
        {
            var p = await h.Clients.Incoming.ReadAsync(cts.Token);
            if (p.Id is not null && got.TryGetValue(p.Id, out var list))
            {
                list.Add(p);
                if (done(p))
                {
                    finished.Add(p.Id);
                }
            }
        }
        return got;
    }

    private static (ZhttpPacket First, string Body) Response(List<ZhttpPacket> packets)
    {
        var data = packets.Where(p => p.Type == ZhttpPacketType.Data).ToList();
        return (data[0], string.Concat(data.Select(p => System.Text.Encoding.UTF8.GetString(p.Body.Span))));
    }

    private static ZhttpPacket Get(string path, int credits = -1) => new() { Method = "GET", Uri = "http://example.com" + path, Headers = [new("Host", "example.com")], Credits = credits };

    /// <summary>A proxy whose inspect handler gives each request the key in its <c>k</c> query parameter.</summary>
    private sealed class SharingSetup : IAsyncDisposable
    {
        private readonly ZrpcServer _inspect;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _answering;

        private SharingSetup(ProxyHarness h, ZrpcServer inspect)
        {
            H = h;
            _inspect = inspect;
            _answering = Task.Run(() => AnswerAsync(_stop.Token));
        }

        public ProxyHarness H { get; }

        /// <summary>Two requests under one key: waits for the join and answers their single backend request.</summary>
        public async Task<(string First, string Second)> SendTwoSharedAsync(string key, ZhttpPacket reply)
        {
            var first = H.Send(Get("/shared?k=" + key));
            var second = H.Send(Get("/shared?k=" + key));
            await Eventually.TrueAsync(() => H.Engine.SharingJoins == 1, "the second request joins the first");
            var req = await H.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("/shared", StringComparison.Ordinal));
            H.ReplyToProxy(req.Id!, reply, 0);
            return (first, second);
        }

        /// <summary>Two requests under one key with the given client credits: waits for the join and returns their single backend request.</summary>
        public async Task<(string First, string Second, ZhttpPacket Request)> SendTwoAsync(string key, int fastCredits = 8192, int slowCredits = 8192)
        {
            var first = H.Send(Get("/shared?k=" + key, fastCredits));
            var second = H.Send(Get("/shared?k=" + key, slowCredits));
            await Eventually.TrueAsync(() => H.Engine.SharingJoins == 1, "the second request joins the first");
            var req = await H.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("/shared", StringComparison.Ordinal));
            return (first, second, req);
        }

        public static async Task<SharingSetup> StartAsync(Func<ProxyOptions, ProxyOptions>? configure = null)
        {
            // A new port on each of the harness's start attempts (a probed port can be taken before the bind).
            var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"], o => (configure?.Invoke(o) ?? o) with { HandlerInspectSpec = $"tcp://127.0.0.1:{FreePorts.Block(1)}" });
            var inspect = new ZrpcServer([h.Options.HandlerInspectSpec!], bind: false, NullLogger.Instance, "sharing inspect");
            inspect.Start();
            var s = new SharingSetup(h, inspect);
            // Until the handler answers once, requests go ahead without inspect.
            var n = 0;
            await Eventually.TrueAsync(async () =>
            {
                s.H.Send(Get("/warm?" + n++));
                await Task.Delay(50);
                return s.H.Engine.InspectAvailable && s.H.Engine.InspectCalls > 0;
            }, "inspect answers");
            // Warm-up requests reach the backend; settle them so they do not disturb the test.
            while (await h.NextOutboundAsync(TimeSpan.FromMilliseconds(300)) is { } p)
            {
                if (p.Method is not null)
                {
                    h.ReplyToProxy(p.Id!, new ZhttpPacket { Code = 200, Reason = "OK" }, 0);
                }
            }
            return s;
        }

        private async Task AnswerAsync(CancellationToken ct)
        {
            try
            {
                while (true)
                {
                    var call = await _inspect.Calls.ReadAsync(ct);
                    var uri = call.Request.Args!.GetString("uri") ?? string.Empty;
                    var k = uri.IndexOf("k=", StringComparison.Ordinal);
                    var answer = new Dictionary<string, object?> { ["no-proxy"] = false };
                    if (k >= 0)
                    {
                        answer["sharing-key"] = uri[(k + 2)..];
                    }
                    call.Ok(answer);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _answering;
            _inspect.Dispose();
            await H.DisposeAsync();
            _stop.Dispose();
        }
    }
}
