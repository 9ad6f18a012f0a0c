using NUnit.Framework;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

[CancelAfter(60_000)]
public sealed class ProxyEngineKeepAliveTests
{
    [Test]
    public async Task Idle_sessions_get_keep_alives_both_ways_and_expire_without_traffic()
    {
        var clock = new ManualClock();
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"], time: clock);
        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/slow", More = true });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        h.SendMore(id, 1, new ZhttpPacket { Body = "x"u8.ToArray(), More = true });
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 10 }, 0);
        // Body reaching the target proves the proxy knows the target's address.
        await h.ExpectOutboundAsync(p => p.Id == req.Id && p.Body.Length > 0);

        // 46 s after the last packets, both sides hear a keep-alive from us.
        clock.Advance(TimeSpan.FromSeconds(46));
        h.Engine.TickNow();
        var toClient = await h.NextFromProxyAsync(id, null, p => p.Type == ZhttpPacketType.KeepAlive);
        Assert.That(toClient, Is.Not.Null);
        var toTarget = await h.ExpectOutboundAsync(p => p.Id == req.Id);
        Assert.That(toTarget.Type, Is.EqualTo(ZhttpPacketType.KeepAlive));

        // Nothing from connmgr for two minutes: the session is dropped and the target cancelled.
        clock.Advance(TimeSpan.FromSeconds(121));
        h.Engine.TickNow();
        var cancel = await h.ExpectOutboundAsync(p => p.Id == req.Id);
        Assert.That(cancel.Type, Is.EqualTo(ZhttpPacketType.Cancel));
        await Support.Eventually.TrueAsync(() => h.Engine.SessionCount == 0, "session expired");
    }

    [Test]
    public async Task Client_cancel_cancels_the_target_request()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/slow", More = true });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        h.SendMore(id, 1, new ZhttpPacket { Body = "x"u8.ToArray(), More = true });
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 10 }, 0);
        // Body reaching the target proves the proxy knows the target's address.
        await h.ExpectOutboundAsync(p => p.Id == req.Id && p.Body.Length > 0);
        h.SendMore(id, 2, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        var cancel = await h.ExpectOutboundAsync(p => p.Id == req.Id);
        Assert.That(cancel.Type, Is.EqualTo(ZhttpPacketType.Cancel));
    }

    [Test]
    public async Task Out_of_order_packet_ends_the_session()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/", More = true });
        await h.NextFromProxyAsync(id);
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        h.SendMore(id, 5, new ZhttpPacket { Body = "x"u8.ToArray() });
        var cancel = await h.ExpectFromProxyAsync(id);
        Assert.That(cancel.Type, Is.EqualTo(ZhttpPacketType.Cancel));
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Type = ZhttpPacketType.KeepAlive }, 0);
        await Support.Eventually.TrueAsync(() => h.Engine.SessionCount == 0, "session ended");
    }
}
