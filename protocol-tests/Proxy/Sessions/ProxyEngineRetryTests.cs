using NetMQ;
using NetMQ.Sockets;
using NUnit.Framework;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary>Retry packets (internals.md §4.5): the handler hands a session back and the proxy re-runs its request.</summary>
[CancelAfter(60_000)]
public sealed class ProxyEngineRetryTests
{
    [Test]
    public async Task Retry_reruns_the_request_with_inspect_data_and_hands_the_grip_response_off_again()
    {
        await using var h = await ProxyHarness.StartAsync(["*,id=poll 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/poll", Headers = [new("Host", "example.com")] });
        var first = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.EndsWith("/poll", StringComparison.Ordinal));
        h.ReplyToProxy(first.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Grip-Hold", "response"), new("Grip-Channel", "news; prev-id=4")] }, 0);
        Assert.That((await h.ExpectFromProxyAsync(id)).Type, Is.EqualTo(ZhttpPacketType.HandoffStart));
        h.SendMore(id, 1, new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed });
        var accept = await h.ExpectAcceptCallAsync();
        var request = (Dictionary<string, object?>)accept.Request.Args!.GetList("requests")![0]!;
        Assert.That(request.ContainsKey("is-retry"), Is.False);
        accept.Ok(new Dictionary<string, object?> { ["accepted"] = true });
        await Eventually.TrueAsync(() => h.Engine.SessionCount == 0, "session handed over");

        // The handler (a ROUTER) sends the retry to the proxy's identity.
        var retry = new Dictionary<string, object?>
        {
            ["requests"] = new List<object?>
            {
                new Dictionary<string, object?>
                {
                    ["rid"] = new Dictionary<string, object?> { ["sender"] = "connmgr", ["id"] = id },
                    ["in-seq"] = request["in-seq"],
                    ["out-seq"] = 5L,
                    ["out-credits"] = request["out-credits"],
                    ["router-resp"] = true,
                    ["peer-address"] = "127.0.0.1",
                },
            },
            ["request-data"] = accept.Request.Args!["orig-request-data"],
            ["inspect"] = new Dictionary<string, object?> { ["no-proxy"] = false, ["last-ids"] = new Dictionary<string, object?> { ["news"] = "9" } },
            ["route"] = "poll",
        };
        using var handler = new RouterSocket();
        handler.Options.Identity = "handler_test"u8.ToArray();
        handler.Options.RouterMandatory = true;
        handler.Connect(h.Options.HandlerRetryInSpec!);
        var payload = TnetString.Encode(retry);
        await Eventually.TrueAsync(() =>
        {
            try
            {
                return handler.TrySendMultipartMessage(TimeSpan.Zero, new NetMQMessage([new NetMQFrame(h.Options.InstanceId), NetMQFrame.Empty, new NetMQFrame(payload)]));
            }
            catch (HostUnreachableException)
            {
                return false;
            }
        }, "retry socket connected");

        var takeOver = await h.NextFromProxyAsync(id);
        Assert.That((takeOver!.Type, takeOver.Seq, takeOver.Multi), Is.EqualTo((ZhttpPacketType.KeepAlive, 5, true)), "the proxy takes the session over like a handler after accept");
        var again = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.EndsWith("/poll", StringComparison.Ordinal));
        Assert.That(again.GetHeader("Grip-Last"), Is.EqualTo("news; last-id=9"), "inspect's last ids go to the backend");
        h.ReplyToProxy(again.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Grip-Hold", "response"), new("Grip-Channel", "news; prev-id=9")] }, 0);
        var start = await h.ExpectFromProxyAsync(id);
        Assert.That((start.Type, start.Seq), Is.EqualTo((ZhttpPacketType.HandoffStart, 6)));
        h.SendMore(id, (int)request.GetInteger("in-seq")!.Value, new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed });
        var accept2 = await h.ExpectAcceptCallAsync();
        var request2 = (Dictionary<string, object?>)accept2.Request.Args!.GetList("requests")![0]!;
        Assert.Multiple(() =>
        {
            Assert.That(request2.GetBoolean("is-retry"), Is.True);
            Assert.That(request2.GetInteger("out-seq"), Is.EqualTo(7));
            Assert.That(accept2.Request.Args!.GetDictionary("inspect")!.GetDictionary("last-ids")!.GetString("news"), Is.EqualTo("9"));
            Assert.That(accept2.Request.Args!.GetString("route"), Is.EqualTo("poll"));
        });
        accept2.Ok(new Dictionary<string, object?> { ["accepted"] = true });
    }
}
