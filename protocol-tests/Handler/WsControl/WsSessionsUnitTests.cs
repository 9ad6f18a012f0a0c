using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.WsControl;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.WebSockets;

namespace Pushpin.ProtocolTests.Handler.WsControl;

/// <summary>The handler's WebSocket sessions driven with ws-control packets, items captured as the proxy would get them.</summary>
public sealed class WsSessionsUnitTests
{
    private readonly List<(string Peer, WsControlItem Item)> _sent = [];

    // NUnit shares one fixture instance between tests.
    [SetUp]
    public void ClearSent() => _sent.Clear();

    private WsSessions NewSessions(out ManualTime time)
    {
        time = new ManualTime();
        return new WsSessions((peer, items) => _sent.AddRange(items.Select(i => (peer, i))), 20, time, NullLogger.Instance);
    }

    private static WsControlPacket Packet(params WsControlItem[] items) => new() { From = "proxy_1", Items = items };

    private static WsControlItem Grip(string json) =>
        new() { Cid = "c1", Type = WsControlItemType.Grip, ReqId = "1", Message = Encoding.UTF8.GetBytes(json) };

    private static WsSessions Here(WsSessions s)
    {
        s.Handle(Packet(new WsControlItem { Cid = "c1", Type = WsControlItemType.Here, ReqId = "0", Ttl = 60, Uri = "ws://example/ws" }));
        return s;
    }

    [Test]
    public void Here_is_acked_to_the_proxy_that_sent_it()
    {
        Here(NewSessions(out _));
        Assert.That(_sent, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(_sent[0].Peer, Is.EqualTo("proxy_1"));
            Assert.That(_sent[0].Item.Type, Is.EqualTo(WsControlItemType.Ack));
            Assert.That(_sent[0].Item.ReqId, Is.EqualTo("0"));
        });
    }

    [Test]
    public void Subscribe_then_publish_sends_the_message_to_the_connection()
    {
        var s = Here(NewSessions(out _));
        s.Handle(Packet(Grip("{\"type\":\"subscribe\",\"channel\":\"news\"}")));
        _sent.Clear();
        var item = new PublishItem { Channel = "news", WsMessage = new PublishFormat(PublishFormatType.WebSocketMessage) { Body = "hi"u8.ToArray(), MessageType = WsMessageType.Text } };
        s.Publish(item);
        Assert.That(_sent, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(_sent[0].Item.Type, Is.EqualTo(WsControlItemType.Send));
            Assert.That(_sent[0].Item.ContentType, Is.EqualTo("text"));
            Assert.That(_sent[0].Item.Message, Is.EqualTo("hi"u8.ToArray()));
        });
    }

    [Test]
    public void Unknown_connection_items_are_answered_with_cancel()
    {
        var s = NewSessions(out _);
        s.Handle(Packet(new WsControlItem { Cid = "nope", Type = WsControlItemType.KeepAlive, Ttl = 60 }));
        Assert.That(_sent.Single().Item.Type, Is.EqualTo(WsControlItemType.Cancel));
    }

    [Test]
    public void Keep_alive_control_message_sets_up_proxy_keep_alives_and_answers_need_keep_alive()
    {
        var s = Here(NewSessions(out _));
        s.Handle(Packet(Grip("{\"type\":\"keep-alive\",\"content\":\"ka\",\"timeout\":30}")));
        var setup = _sent.Single(i => i.Item.Type == WsControlItemType.KeepAliveSetup).Item;
        Assert.Multiple(() =>
        {
            Assert.That(setup.Timeout, Is.EqualTo(30));
            Assert.That(setup.KeepAliveMode, Is.EqualTo("idle"));
        });
        _sent.Clear();
        s.Handle(Packet(new WsControlItem { Cid = "c1", Type = WsControlItemType.NeedKeepAlive }));
        Assert.That(_sent.Single().Item.Message, Is.EqualTo("ka"u8.ToArray()));
    }

    [Test]
    public void Send_delayed_goes_out_after_its_timeout()
    {
        var s = Here(NewSessions(out var time));
        s.Handle(Packet(Grip("{\"type\":\"send-delayed\",\"content\":\"later\",\"timeout\":2}")));
        _sent.Clear();
        s.Tick();
        Assert.That(_sent, Is.Empty);
        time.Advance(TimeSpan.FromSeconds(2));
        s.Tick();
        Assert.That(_sent.Single().Item.Message, Is.EqualTo("later"u8.ToArray()));
    }

    [Test]
    public void Session_expires_without_keep_alives()
    {
        var s = Here(NewSessions(out var time));
        time.Advance(TimeSpan.FromSeconds(61));
        s.Tick();
        Assert.That(s.Count, Is.Zero);
    }

    [Test]
    public void Published_close_is_sent_once_and_later_items_are_ignored()
    {
        var s = Here(NewSessions(out _));
        s.Handle(Packet(Grip("{\"type\":\"subscribe\",\"channel\":\"news\"}")));
        _sent.Clear();
        var close = new PublishItem { Channel = "news", WsMessage = new PublishFormat(PublishFormatType.WebSocketMessage) { Action = PublishAction.Close, Code = 4000, Reason = "bye" } };
        s.Publish(close);
        s.Publish(new PublishItem { Channel = "news", WsMessage = new PublishFormat(PublishFormatType.WebSocketMessage) { Body = "late"u8.ToArray() } });
        var item = _sent.Single().Item;
        Assert.Multiple(() =>
        {
            Assert.That(item.Type, Is.EqualTo(WsControlItemType.Close));
            Assert.That(item.Code, Is.EqualTo(4000));
            Assert.That(item.Reason, Is.EqualTo("bye"));
        });
    }
}
