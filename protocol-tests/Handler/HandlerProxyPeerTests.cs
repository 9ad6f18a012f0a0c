using System.Text;
using NetMQ;
using NUnit.Framework;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zrpc;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>
/// The handler against NetMQ peers playing the proxy's retry and command sockets: retry packets
/// as the proxy receives them, conncheck and refresh forwarded to the proxy, and the metrics page.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HandlerProxyPeerTests
{
    private HandlerHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new HandlerHarness(proxyPeers: true, o => o with { Engine = o.Engine with { UpdateOnFirstSubscription = false } });

    [TearDown]
    public void TearDown() => _h.Dispose();

    private void HoldResponse(string id, string channelHeader)
    {
        var r = _h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request(id), 200, "OK", [("Grip-Hold", "response"), ("Grip-Channel", channelHeader)], "timeout\n"));
        Assert.That(r.Success, Is.True, r.Condition);
        _h.ReceiveRouter(); // the keep-alive that takes the session over
    }

    [Test]
    public void Hint_hands_the_long_poll_back_to_the_proxy_in_a_retry_packet()
    {
        HoldResponse("r-1", "lp; prev-id=4");

        // ROUTER to ROUTER: until the connection is up a retry cannot be delivered and the
        // session stays held, so hint until the proxy sees the packet.
        var frames = new List<byte[]>();
        var got = false;
        for (var i = 0; i < 50 && !got; i++)
        {
            Assert.That(_h.PublishHttp("""{"channel":"lp","formats":{"http-response":{"action":"hint"}}}"""), Does.Contain("200 OK"));
            got = _h.ProxyRetry!.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(200), ref frames);
        }
        Assert.That(got, Is.True, "no retry packet reached the proxy");
        Assert.That((Encoding.Latin1.GetString(frames[0]), frames[1].Length), Is.EqualTo((HandlerHarness.HandlerId, 0)), "[handler id, empty, packet]");
        var packet = TnetString.ParseDictionary(frames[2]);
        var request = (Dictionary<string, object?>)((List<object?>)packet["requests"]!).Single()!;
        var rid = (Dictionary<string, object?>)request["rid"]!;
        Assert.That(Encoding.Latin1.GetString((byte[])rid["id"]!), Is.EqualTo("r-1"));
        Assert.That((request["in-seq"], request["out-seq"]), Is.EqualTo((1L, 2L)), "after the take-over keep-alive (seq 1)");
        var lastIds = (Dictionary<string, object?>)((Dictionary<string, object?>)packet["inspect"]!)["last-ids"]!;
        Assert.That(Encoding.UTF8.GetString((byte[])lastIds["lp"]!), Is.EqualTo("4"));
        Assert.That(packet.ContainsKey("request-data"), Is.True);

        // The handler let go: a later publish reaches nobody.
        _h.PublishHttp("""{"channel":"lp","formats":{"http-response":{"body":"late"}}}""");
        Assert.That(_h.TryReceiveRouter(TimeSpan.FromMilliseconds(300)), Is.Null);
    }

    [Test]
    public void Conncheck_answers_held_sessions_and_asks_the_proxy_about_the_rest()
    {
        HoldResponse("c-1", "cc");
        var call = Task.Run(() => _h.Command("conncheck", new() { ["ids"] = new List<object?> { "connmgr:c-1"u8.ToArray(), "connmgr:p-1"u8.ToArray(), "connmgr:gone"u8.ToArray() } }));

        var frames = new List<byte[]>();
        Assert.That(_h.ProxyCommand!.TryReceiveMultipartBytes(TimeSpan.FromSeconds(10), ref frames), Is.True, "handler did not ask the proxy");
        var asked = ZrpcRequest.Decode(frames[^1]);
        Assert.That(asked.Method, Is.EqualTo("conncheck"));
        var askedIds = ((List<object?>)asked.Args!["ids"]!).Select(v => Encoding.UTF8.GetString((byte[])v!)).ToList();
        Assert.That(askedIds, Is.EqualTo(new[] { "connmgr:p-1", "connmgr:gone" }), "only what it does not hold");
        var reply = ZrpcResponse.Ok(asked.Id, new List<object?> { "connmgr:p-1"u8.ToArray() }).Encode();
        _h.ProxyCommand!.SendMoreFrame(frames[0]).SendMoreFrameEmpty().SendFrame(reply);

        var answer = call.GetAwaiter().GetResult();
        Assert.That(answer.Success, Is.True, answer.Condition);
        Assert.That(((List<object?>)answer.Value!).Select(v => Encoding.UTF8.GetString((byte[])v!)), Is.EqualTo(new[] { "connmgr:c-1", "connmgr:p-1" }));
    }

    [Test]
    public void Refresh_forwards_a_cid_to_the_proxy_and_passes_its_error_back()
    {
        var call = Task.Run(() => _h.Command("refresh", new() { ["cid"] = "ws-1"u8.ToArray() }));
        var frames = new List<byte[]>();
        Assert.That(_h.ProxyCommand!.TryReceiveMultipartBytes(TimeSpan.FromSeconds(10), ref frames), Is.True);
        var asked = ZrpcRequest.Decode(frames[^1]);
        Assert.That((asked.Method, Encoding.UTF8.GetString((byte[])asked.Args!["cid"]!)), Is.EqualTo(("refresh", "ws-1")));
        _h.ProxyCommand!.SendMoreFrame(frames[0]).SendMoreFrameEmpty().SendFrame(ZrpcResponse.Fail(asked.Id, "item-not-found").Encode());
        var answer = call.GetAwaiter().GetResult();
        Assert.That((answer.Success, answer.Condition), Is.EqualTo((false, "item-not-found")));
    }

    [Test]
    public void Refresh_by_channel_without_websocket_sessions_succeeds_and_without_args_is_a_bad_request()
    {
        Assert.That(_h.Command("refresh", new() { ["channel"] = "x"u8.ToArray() }).Success, Is.True);
        Assert.That(_h.Command("refresh", new()).Condition, Is.EqualTo("bad-request"));
        Assert.That(_h.Command("conncheck", new() { ["ids"] = "nope"u8.ToArray() }).Condition, Is.EqualTo("bad-request"));
        Assert.That(_h.Command("bogus").Condition, Is.EqualTo("method-not-found"));
    }

    [Test]
    public async Task Metrics_page_lists_upstream_names_and_publish_counters_with_the_prefix()
    {
        _h.PublishHttp("""{"channel":"nobody","formats":{"http-stream":{"content":"x"}}}""");
        string page = string.Empty;
        await Support.Eventually.TrueAsync(async () =>
        {
            page = await Support.RawHttp.ExchangeAsync(_h.MetricsPort, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            return page.Contains("pp_handler_publish_received 1\n", StringComparison.Ordinal);
        }, "metrics page:\n" + page);
        Assert.That(page, Does.StartWith("HTTP/1.1 200 OK\r\n"));
        foreach (var name in new[] { "request_received", "connection_connected", "connection_minute", "message_received", "message_sent", "handler_connections", "handler_subscriptions", "handler_publish_delivered" })
        {
            Assert.That(page, Does.Contain($"# TYPE pp_{name} "), name);
        }
        Assert.That(page, Does.Contain("pp_handler_publish_dropped{reason=\"hwm\"} 0\n"));
    }
}
