using System.Text;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.WsControl;
using Pushpin.Handler.WsControl;

namespace Pushpin.ProtocolTests.Handler.WsControl;

public sealed class WsControlPacketCodecUnitTests
{
    private const string Cid = "4b49d7e2-8c41";

    // internals.md §6.2 captured sequence (1.36, no "from"), written as upstream's tnetstrings.
    private static readonly string[] Captured =
    [
        "116:5:items,103:99:4:type,4:here,3:uri,23:ws://127.0.0.1:29999/ws,3:ttl,2:60#3:cid,13:4b49d7e2-8c41,5:route,7:*,*,*,*,}]}",
        "122:5:items,109:104:4:type,4:grip,7:message,40:{\"type\": \"subscribe\", \"channel\": \"test\"},6:req-id,1:0,3:cid,13:4b49d7e2-8c41,}]}",
        "65:5:items,53:49:4:type,3:ack,6:req-id,1:0,3:cid,13:4b49d7e2-8c41,}]}",
        "71:5:items,59:55:4:type,10:keep-alive,3:ttl,2:60#3:cid,13:4b49d7e2-8c41,}]}",
        "98:5:items,86:82:4:type,4:send,7:message,9:pushed ws,12:content-type,4:text,3:cid,13:4b49d7e2-8c41,}]}",
        "53:5:items,41:37:4:type,4:gone,3:cid,13:4b49d7e2-8c41,}]}",
    ];

    private static WsControlItem Decode(string wire)
    {
        Assert.That(WsControlPacketCodec.TryDecode(Encoding.UTF8.GetBytes(wire), out var packet, out var error), Is.True, error);
        Assert.That(packet!.From, Is.Null);
        return packet.Items.Single();
    }

    [Test]
    public void Captured_here_item_decodes()
    {
        var item = Decode(Captured[0]);
        Assert.That(item.Type, Is.EqualTo(WsControlItemType.Here));
        Assert.That(item.Cid, Is.EqualTo(Cid));
        Assert.That(item.Uri, Is.EqualTo("ws://127.0.0.1:29999/ws"));
        Assert.That(item.Ttl, Is.EqualTo(60));
        Assert.That(item.Route, Is.EqualTo("*,*,*,*"));
    }

    [Test]
    public void Captured_grip_item_carries_a_parsable_control_message()
    {
        var item = Decode(Captured[1]);
        Assert.That(item.Type, Is.EqualTo(WsControlItemType.Grip));
        Assert.That(item.ReqId, Is.EqualTo("0"));
        Assert.That(WsControlMessageParser.TryParse(item.Message, out var message, out _), Is.True);
        Assert.That(message!.Type, Is.EqualTo(WsControlMessageType.Subscribe));
        Assert.That(message.Channel, Is.EqualTo("test"));
    }

    [Test]
    public void Captured_ack_keep_alive_send_and_gone_decode()
    {
        var ack = Decode(Captured[2]);
        Assert.That((ack.Type, ack.ReqId), Is.EqualTo((WsControlItemType.Ack, "0")));
        var keepAlive = Decode(Captured[3]);
        Assert.That((keepAlive.Type, keepAlive.Ttl), Is.EqualTo((WsControlItemType.KeepAlive, (int?)60)));
        var send = Decode(Captured[4]);
        Assert.That(send.Type, Is.EqualTo(WsControlItemType.Send));
        Assert.That(send.ContentType, Is.EqualTo("text"));
        Assert.That(Encoding.UTF8.GetString(send.Message!), Is.EqualTo("pushed ws"));
        Assert.That(Decode(Captured[5]).Type, Is.EqualTo(WsControlItemType.Gone));
    }

    [Test]
    public void Our_encoding_of_the_captured_ack_matches_upstream_bytes()
    {
        var packet = new WsControlPacket
        {
            Items = [new WsControlItem { Cid = Cid, Type = WsControlItemType.Ack, ReqId = "0" }],
        };
        var decoded = TnetString.Parse(WsControlPacketCodec.Encode(packet));
        Assert.That(decoded, Is.EqualTo(TnetString.Parse(Encoding.UTF8.GetBytes(Captured[2]))));
    }

    [Test]
    public void Every_captured_packet_survives_decode_and_encode()
    {
        foreach (var wire in Captured)
        {
            Assert.That(WsControlPacketCodec.TryDecode(Encoding.UTF8.GetBytes(wire), out var packet, out _), Is.True);
            var again = WsControlPacketCodec.Encode(packet!);
            Assert.That(TnetString.Parse(again), Is.EqualTo(TnetString.Parse(Encoding.UTF8.GetBytes(wire))), wire);
        }
    }

    [Test]
    public void Every_field_round_trips_with_from()
    {
        var item = new WsControlItem
        {
            Cid = "c1", Type = WsControlItemType.Here, ReqId = "7", Uri = "wss://h/p?q", ContentType = "binary",
            Message = [0, 1, 255], Queue = true, Code = 4001, Reason = "bye", Debug = true, SeparateStats = false,
            Trusted = true, Route = "r", ChannelPrefix = "p_", LogLevel = 3, Channel = "ch", Ttl = 60, Timeout = 30,
            KeepAliveMode = "interval",
        };
        var wire = WsControlPacketCodec.Encode(new WsControlPacket { From = "proxy_1", Items = [item] });
        Assert.That(WsControlPacketCodec.TryDecode(wire, out var packet, out var error), Is.True, error);
        Assert.That(packet!.From, Is.EqualTo("proxy_1"));
        var back = packet.Items.Single();
        Assert.That(back, Is.EqualTo(item).UsingPropertiesComparer());
    }

    [Test]
    public void Unknown_item_type_is_kept_by_name()
    {
        var wire = WsControlPacketCodec.Encode(new WsControlPacket
        {
            Items = [new WsControlItem { Cid = "c", Type = WsControlItemType.Unknown, RawTypeName = "future-thing" }],
        });
        Assert.That(WsControlPacketCodec.TryDecode(wire, out var packet, out _), Is.True);
        Assert.That(packet!.Items[0].Type, Is.EqualTo(WsControlItemType.Unknown));
        Assert.That(packet.Items[0].TypeName, Is.EqualTo("future-thing"));
    }

    [TestCase("0:~", "ws-control packet is not a dict")]
    [TestCase("0:}", "ws-control packet has no 'items' list")]
    [TestCase("12:5:items,1:x,}", "ws-control packet has no 'items' list")]
    [TestCase("15:5:items,4:1:x,]}", "ws-control item is not a dict")]
    [TestCase("28:5:items,16:12:4:type,2:ok,}]}", "ws-control item has no 'cid'")]
    [TestCase("26:5:items,14:10:3:cid,1:c,}]}", "ws-control item has no 'type'")]
    [TestCase("49:5:items,37:33:3:cid,1:c,4:type,3:ack,3:ttl,1:x,}]}", "ws-control field 'ttl' is not an integer")]
    [TestCase("garbage", null)]
    public void Malformed_packets_are_rejected_with_a_reason(string wire, string? expected)
    {
        Assert.That(WsControlPacketCodec.TryDecode(Encoding.ASCII.GetBytes(wire), out var packet, out var error), Is.False);
        Assert.That(packet, Is.Null);
        if (expected is null)
        {
            Assert.That(error, Is.Not.Null.And.Not.Empty);
        }
        else
        {
            Assert.That(error, Is.EqualTo(expected));
        }
    }
}
