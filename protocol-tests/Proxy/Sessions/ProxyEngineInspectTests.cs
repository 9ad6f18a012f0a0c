using System.Text;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;
using Pushpin.Common.Zrpc;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary>inspect (internals.md §4.3): the handler is asked before a request is proxied; a silent handler never blocks traffic for long.</summary>
[CancelAfter(60_000)]
public sealed class ProxyEngineInspectTests
{
    [Test]
    public async Task Inspect_is_asked_first_and_its_session_data_reaches_the_backend()
    {
        var port = FreePorts.One();
        await using var h = await ProxyHarness.StartAsync(["*,session 127.0.0.1:8081"], o => o with { HandlerInspectSpec = $"tcp://127.0.0.1:{port}" });
        using var handler = new ZrpcServer([$"tcp://127.0.0.1:{port}"], bind: false, NullLogger.Instance, "test inspect");
        handler.Start();

        // Until the handler's ROUTER is connected the proxy goes ahead without inspect.
        var calls = 0;
        ZrpcCall? call = null;
        string? id = null;
        await Eventually.TrueAsync(async () =>
        {
            id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/items?x=" + calls++, Headers = [new("Host", "example.com")] });
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                call = await handler.Calls.ReadAsync(cts.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "inspect reaches the handler");

        // That may have been a probe after the failures above: answering it makes inspect available again.
        call!.Ok(new Dictionary<string, object?> { ["no-proxy"] = false });
        // Until a request waits for its answer, what the handler sees are probes.
        await Eventually.TrueAsync(async () =>
        {
            id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/items?x=" + calls++, Headers = [new("Host", "example.com")] });
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                call = await handler.Calls.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            // A probe's request goes ahead without waiting for the answer.
            var uri = call.Request.Args!.GetString("uri");
            var deadline = DateTime.UtcNow.AddMilliseconds(300);
            var proxied = false;
            while (!proxied && DateTime.UtcNow < deadline)
            {
                var p = await h.NextOutboundAsync(TimeSpan.FromMilliseconds(Math.Max(1, (deadline - DateTime.UtcNow).TotalMilliseconds)));
                proxied = p is not null && p.Uri == uri;
                if (p is null)
                {
                    break;
                }
            }
            if (!proxied)
            {
                return true;
            }
            call.Ok(new Dictionary<string, object?> { ["no-proxy"] = false });
            return false;
        }, "a request waits for inspect");
        var args = call.Request.Args!;
        Assert.Multiple(() =>
        {
            Assert.That(call.Request.Method, Is.EqualTo("inspect"));
            Assert.That(args.GetString("method"), Is.EqualTo("GET"));
            Assert.That(args.GetString("uri"), Does.StartWith("http://example.com/items?x="));
            Assert.That(args.GetBoolean("get-session"), Is.True, "the route has session");
        });
        call.Ok(new Dictionary<string, object?> { ["no-proxy"] = false, ["sid"] = "s1", ["last-ids"] = new Dictionary<string, object?> { ["news"] = "3" } });
        var uri = args.GetString("uri")!;
        var req = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri == uri);
        Assert.Multiple(() =>
        {
            Assert.That(req.GetHeader("Grip-Session-Id"), Is.EqualTo("s1"));
            Assert.That(req.GetHeader("Grip-Last"), Is.EqualTo("news; last-id=3"));
        });
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "ok"u8.ToArray() }, 0);
        var (first, body) = await h.ReadResponseAsync(id!);
        Assert.That((first.Code, body), Is.EqualTo((200, "ok")));
    }

    [Test]
    public async Task A_silent_handler_delays_one_request_by_the_timeout_then_requests_stop_waiting()
    {
        var port = FreePorts.One();
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"], o => o with { HandlerInspectSpec = $"tcp://127.0.0.1:{port}", InspectTimeout = TimeSpan.FromSeconds(2) });
        using var handler = new ZrpcServer([$"tcp://127.0.0.1:{port}"], bind: false, NullLogger.Instance, "silent inspect");
        handler.Start();
        await Eventually.TrueAsync(async () =>
        {
            h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/probe" });
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                await handler.Calls.ReadAsync(cts.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "inspect reaches the handler");
        // That request (never answered) is proxied once inspect times out.
        await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.EndsWith("/probe", StringComparison.Ordinal));
        while (h.Backends.Incoming.TryRead(out _))
        {
        }

        var watch = Stopwatch.StartNew();
        h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/after" });
        await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.EndsWith("/after", StringComparison.Ordinal));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)), "after a failure requests do not wait for inspect");
    }

    [Test]
    public async Task While_the_handler_is_unavailable_requests_make_at_most_one_probe_a_second()
    {
        var clock = new ManualClock();
        var port = FreePorts.One();
        // Nobody listens on the inspect socket: every call fails at once.
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"], o => o with { HandlerInspectSpec = $"tcp://127.0.0.1:{port}" }, clock);
        var first = await ProxySequentialAsync(h, "first");
        Assert.That(first, Is.InRange(1, 3), "the warm-up and first requests asked inspect until it failed");

        for (var i = 0; i < 30; i++)
        {
            await ProxySequentialAsync(h, "r" + i);
        }
        Assert.That(h.Engine.InspectCalls, Is.EqualTo(first), "no probe within the second after the failure");

        clock.Advance(TimeSpan.FromSeconds(1.1));
        for (var i = 0; i < 10; i++)
        {
            await ProxySequentialAsync(h, "s" + i);
        }
        Assert.That(h.Engine.InspectCalls, Is.EqualTo(first + 1), "one probe once the second is over");
    }

    [Test]
    public async Task No_proxy_hands_the_whole_request_to_the_handler_and_relays_its_response()
    {
        var port = FreePorts.One();
        await using var h = await ProxyHarness.StartAsync(["*,id=r1 127.0.0.1:8081"], o => o with { HandlerInspectSpec = $"tcp://127.0.0.1:{port}" });
        using var handler = new ZrpcServer([$"tcp://127.0.0.1:{port}"], bind: false, NullLogger.Instance, "test inspect");
        handler.Start();
        await MakeInspectAvailableAsync(h, handler);

        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/cached", Headers = [new("Host", "example.com")], Body = "a=1"u8.ToArray(), More = true });
        var call = await handler.Calls.ReadAsync(TestContext.CurrentContext.CancellationToken);
        Assert.That(call.Request.Args!.GetBoolean("truncated"), Is.True, "more body follows");
        call.Ok(new Dictionary<string, object?> { ["no-proxy"] = true, ["sid"] = "s9" });
        h.SendMore(id, 1, new ZhttpPacket { Body = "&b=2"u8.ToArray() });

        var start = await h.ExpectFromProxyAsync(id, p => p.Type == ZhttpPacketType.HandoffStart);
        Assert.That(start.Type, Is.EqualTo(ZhttpPacketType.HandoffStart));
        h.SendMore(id, 2, new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed });
        var accept = await h.ExpectAcceptCallAsync();
        var args = accept.Request.Args!;
        var requestData = args.GetDictionary("request-data")!;
        var inspect = args.GetDictionary("inspect")!;
        Assert.Multiple(() =>
        {
            Assert.That(accept.Request.Method, Is.EqualTo("accept"));
            Assert.That(args.ContainsKey("response"), Is.False, "the handler makes the response");
            Assert.That(requestData.GetString("uri"), Is.EqualTo("http://example.com/cached"));
            Assert.That(requestData.GetString("body"), Is.EqualTo("a=1&b=2"), "the whole body");
            Assert.That((inspect.GetBoolean("no-proxy"), inspect.GetString("sid")), Is.EqualTo((true, "s9")));
            Assert.That(args.GetString("route"), Is.EqualTo("r1"));
            Assert.That(h.Backends.Incoming.TryRead(out var stray) && stray.Uri == "http://example.com/cached", Is.False, "no backend request");
        });
        accept.Ok(new Dictionary<string, object?> { ["response"] = new Dictionary<string, object?> { ["code"] = 200L, ["reason"] = "OK", ["headers"] = new List<object?>(), ["body"] = "from cache"u8.ToArray() } });
        var (resp, body) = await h.ReadResponseAsync(id);
        Assert.That((resp.Code, body), Is.EqualTo((200, "from cache")));
    }

    [Test]
    public async Task No_proxy_with_a_body_over_100000_bytes_is_refused_with_413()
    {
        var port = FreePorts.One();
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"], o => o with { HandlerInspectSpec = $"tcp://127.0.0.1:{port}" });
        using var handler = new ZrpcServer([$"tcp://127.0.0.1:{port}"], bind: false, NullLogger.Instance, "test inspect");
        handler.Start();
        await MakeInspectAvailableAsync(h, handler);

        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/big", Body = new byte[60_000], More = true, Credits = 200_000 });
        var call = await handler.Calls.ReadAsync(TestContext.CurrentContext.CancellationToken);
        call.Ok(new Dictionary<string, object?> { ["no-proxy"] = true });
        h.SendMore(id, 1, new ZhttpPacket { Body = new byte[60_000] });
        var (resp, body) = await h.ReadResponseAsync(id);
        Assert.That((resp.Code, body), Is.EqualTo((413, "Body must not exceed 100000 bytes\n")));
    }

    /// <summary>Answers probes until a request waits for inspect (the handler is then available), leaving no call pending.</summary>
    private static async Task MakeInspectAvailableAsync(ProxyHarness h, ZrpcServer handler)
    {
        var n = 0;
        await Eventually.TrueAsync(async () =>
        {
            while (h.Backends.Incoming.TryRead(out _))
            {
            }
            h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/warm" + n++ });
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));
            try
            {
                var call = await handler.Calls.ReadAsync(cts.Token);
                // A probe's request is proxied at once; a request that waits is not.
                var waiting = await h.NextOutboundAsync(TimeSpan.FromMilliseconds(300)) is null;
                call.Ok(new Dictionary<string, object?> { ["no-proxy"] = false });
                return waiting;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "inspect available");
        while (h.Backends.Incoming.TryRead(out _))
        {
        }
    }

    /// <summary>Sends one request, answers it as the backend, reads the response; returns the inspect calls made so far.</summary>
    [Test]
    public async Task Body_arriving_while_inspect_is_pending_reaches_the_backend_once()
    {
        var port = FreePorts.One();
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"], o => o with { HandlerInspectSpec = $"tcp://127.0.0.1:{port}" });
        using var handler = new ZrpcServer([$"tcp://127.0.0.1:{port}"], bind: false, NullLogger.Instance, "test inspect");
        handler.Start();
        var warmups = 0;
        await Eventually.TrueAsync(async () =>
        {
            h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/warm" + warmups++ });
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                (await handler.Calls.ReadAsync(cts.Token)).Ok(new Dictionary<string, object?> { ["no-proxy"] = false });
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "inspect answered once");
        // The answer reaches the engine asynchronously: until it has, requests only probe.
        await Eventually.TrueAsync(() => h.Engine.InspectAvailable, "requests wait for inspect");

        // A chunked-style POST: the head carries no body, the body follows while inspect is pending.
        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/upload", More = true });
        h.SendMore(id, 1, new ZhttpPacket { Body = "abc"u8.ToArray(), More = true });
        h.SendMore(id, 2, new ZhttpPacket { Body = "defgh"u8.ToArray() });
        // The engine takes packets in order: once the marker is inspected, the body was queued.
        h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/marker" });
        ZrpcCall? post = null;
        var markerSeen = false;
        using var reads = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!markerSeen)
        {
            var call = await handler.Calls.ReadAsync(reads.Token);
            var uri = call.Request.Args!.GetString("uri");
            if (uri == "http://example.com/upload")
            {
                post = call;
            }
            else
            {
                markerSeen = uri == "http://example.com/marker";
                call.Ok(new Dictionary<string, object?> { ["no-proxy"] = false });
            }
        }
        Assert.That(post, Is.Not.Null, "the POST was inspected before the marker");
        post!.Ok(new Dictionary<string, object?> { ["no-proxy"] = false });

        var req = await h.ExpectOutboundAsync(p => p.Method == "POST");
        var body = Encoding.ASCII.GetString(req.Body.Span);
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 1000 }, 0);
        var more = req.More;
        while (more)
        {
            var part = await h.ExpectOutboundAsync(p => p.Id == req.Id);
            body += Encoding.ASCII.GetString(part.Body.Span);
            more = part.More;
        }
        Assert.That(body, Is.EqualTo("abcdefgh"));
    }

    private static async Task<long> ProxySequentialAsync(ProxyHarness h, string name)
    {
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/" + name });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.EndsWith("/" + name, StringComparison.Ordinal));
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Body = "ok"u8.ToArray() }, 0);
        var (resp, _) = await h.ReadResponseAsync(id);
        Assert.That(resp.Code, Is.EqualTo(200));
        return h.Engine.InspectCalls;
    }
}
