using System.Text;
using NetMQ;
using NetMQ.Sockets;
using NUnit.Framework;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>The SUB publish input: channel-framed items and subscription forwarding to XPUB publishers.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HandlerSubInputTests
{
    [Test]
    public void Xpub_publisher_sees_subscriptions_and_its_items_reach_the_session()
    {
        using var h = new HandlerHarness();
        using var xpub = new XPublisherSocket();
        xpub.Connect($"tcp://127.0.0.1:{h.SubPort}");

        var headers = new[] { ("Grip-Hold", "stream"), ("Grip-Channel", "subch") };
        Assert.That(h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request("1-0-1"), 200, "OK", headers, "")).Success, Is.True);
        h.ReceiveRouter();
        h.ReceiveRouter();

        Assert.That(xpub.TryReceiveFrameBytes(TimeSpan.FromSeconds(10), out var subscribe), Is.True, "subscription forwarded");
        Assert.That(subscribe, Is.EqualTo("\u0001subch"u8.ToArray()));

        // The topic frame wins over the item's own channel.
        xpub.SendMoreFrame("subch").SendFrame("""J{"channel":"other","formats":{"http-stream":{"content":"via sub"}}}""");
        xpub.SendFrame("garbage without a second frame");
        var p = h.ReceiveRouter();
        Assert.That(Encoding.UTF8.GetString(p.Body.Span), Is.EqualTo("via sub"));

        h.SendFromConnmgr(new ZhttpPacket { Id = "1-0-1", Seq = 1, Type = ZhttpPacketType.Cancel });
        Assert.That(xpub.TryReceiveFrameBytes(TimeSpan.FromSeconds(10), out var unsubscribe), Is.True, "unsubscription forwarded");
        Assert.That(unsubscribe, Is.EqualTo("\u0000subch"u8.ToArray()));
    }
}
