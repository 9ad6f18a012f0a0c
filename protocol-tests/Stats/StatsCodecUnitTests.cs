using System.Text;
using System.Text.Json.Nodes;
using Pushpin.Common.Stats;
using Pushpin.Common.TNetStrings;

namespace Pushpin.ProtocolTests.Stats;

/// <summary>Stats frames against the frames captured from Debian Pushpin 1.36 (internals.md §5.3).</summary>
public sealed class StatsCodecUnitTests
{
    private const string ProxyConnected = "conn T106:4:type,4:http,12:peer-address,9:127.0.0.1,2:id,13:condure:0-0-0,3:ttl,3:120#4:from,19:pushpin-proxy_14891,}";
    private const string ProxyDisconnected = "conn T74:2:id,13:condure:0-0-0,11:unavailable,4:true!4:from,19:pushpin-proxy_14891,}";
    private const string ProxyActivity = "activity T42:5:count,1:3#4:from,19:pushpin-proxy_14891,}";
    private const string ProxyCounts = "counts T55:17:requests-received,1:3#4:from,19:pushpin-proxy_14891,}";
    private const string ProxyWsConnected = "conn T127:4:type,2:ws,12:peer-address,9:127.0.0.1,2:id,36:4b496339-3ffa-4cb9-8dc3-c7d5168c8c41,3:ttl,3:120#4:from,19:pushpin-proxy_14891,}";
    private const string ProxyReport = "report T538:25:server-content-bytes-sent,1:0#24:client-header-bytes-sent,2:27#24:server-messages-received,1:0#20:server-messages-sent,1:0#18:http-response-sent,1:0#28:server-header-bytes-received,3:233#29:client-content-bytes-received,1:0#24:client-messages-received,1:0#20:client-messages-sent,1:0#4:sent,1:0#29:server-content-bytes-received,2:34#25:client-content-bytes-sent,1:6#7:minutes,1:3#11:connections,1:2#8:duration,4:3493#4:from,19:pushpin-proxy_14891,24:server-header-bytes-sent,4:1291#8:received,1:0#28:client-header-bytes-received,3:174#}";
    private const string HandlerSubscribed = "sub T95:4:from,21:pushpin-handler_14892,4:mode,6:stream,7:channel,4:test,11:subscribers,1:1#3:ttl,2:60#}";
    private const string HandlerUnsubscribed = "sub T87:4:from,21:pushpin-handler_14892,4:mode,6:stream,7:channel,4:test,11:unavailable,4:true!}";
    private const string HandlerMessage = "message T107:4:from,21:pushpin-handler_14892,7:channel,4:test,9:transport,13:http-response,5:count,1:1#7:item-id,4:msg1,}";
    private const string HandlerWsMessage = "message T87:4:from,21:pushpin-handler_14892,7:channel,4:test,9:transport,10:ws-message,5:count,1:1#}";
    private const string HandlerJsonReport = "report J{\"client-content-bytes-received\":0,\"client-content-bytes-sent\":0,\"client-header-bytes-received\":0,\"client-header-bytes-sent\":0,\"client-messages-received\":0,\"client-messages-sent\":0,\"connections\":0,\"duration\":3235,\"from\":\"pushpin-handler_18602\",\"http-response-sent\":0,\"minutes\":0,\"received\":2,\"sent\":0,\"server-content-bytes-received\":0,\"server-content-bytes-sent\":0,\"server-header-bytes-received\":0,\"server-header-bytes-sent\":0,\"server-messages-received\":0,\"server-messages-sent\":0}";

    private static readonly string[] TnetFrames =
    [
        ProxyConnected, ProxyDisconnected, ProxyActivity, ProxyCounts, ProxyWsConnected, ProxyReport,
        HandlerSubscribed, HandlerUnsubscribed, HandlerMessage, HandlerWsMessage,
    ];

    private static StatsPacket Decode(string frame) => StatsCodec.Decode(Encoding.UTF8.GetBytes(frame));

    [TestCaseSource(nameof(TnetFrames))]
    public void Captured_frame_reencodes_to_the_same_type_and_fields(string frame)
    {
        var packet = Decode(frame);
        var encoded = StatsCodec.Encode(packet, StatsFormat.TnetString);
        var text = Encoding.UTF8.GetString(encoded);
        var space = frame.IndexOf(' ', StringComparison.Ordinal);
        Assert.That(text[..(space + 2)], Is.EqualTo(frame[..(space + 2)]), "prefix '<type> T'");
        var expected = TnetString.ParseDictionary(Encoding.UTF8.GetBytes(frame)[(space + 2)..]);
        var actual = TnetString.ParseDictionary(encoded.AsSpan(space + 2));
        Assert.That(Canonical(actual), Is.EqualTo(Canonical(expected)));
    }

    [Test]
    public void Captured_conn_frames_decode_to_connected_and_disconnected()
    {
        var c = Decode(ProxyConnected);
        Assert.Multiple(() =>
        {
            Assert.That(c.Type, Is.EqualTo(StatsPacketType.Connected));
            Assert.That(c.ConnectionId, Is.EqualTo("condure:0-0-0"));
            Assert.That(c.ConnectionType, Is.EqualTo(StatsConnectionType.Http));
            Assert.That(c.PeerAddress, Is.EqualTo("127.0.0.1"));
            Assert.That(c.Ttl, Is.EqualTo(120));
            Assert.That(c.Ssl, Is.False);
            Assert.That(c.From, Is.EqualTo("pushpin-proxy_14891"));
        });
        Assert.That(Decode(ProxyWsConnected).ConnectionType, Is.EqualTo(StatsConnectionType.WebSocket));
        var d = Decode(ProxyDisconnected);
        Assert.That(d.Type, Is.EqualTo(StatsPacketType.Disconnected));
        Assert.That(d.ConnectionId, Is.EqualTo("condure:0-0-0"));
    }

    [Test]
    public void Captured_activity_counts_sub_and_message_frames_decode()
    {
        Assert.That(Decode(ProxyActivity).Count, Is.EqualTo(3));
        Assert.That(Decode(ProxyCounts).RequestsReceived, Is.EqualTo(3));
        var sub = Decode(HandlerSubscribed);
        Assert.Multiple(() =>
        {
            Assert.That(sub.Type, Is.EqualTo(StatsPacketType.Subscribed));
            Assert.That(sub.Mode, Is.EqualTo("stream"));
            Assert.That(sub.Channel, Is.EqualTo("test"));
            Assert.That(sub.Subscribers, Is.EqualTo(1));
            Assert.That(sub.Ttl, Is.EqualTo(60));
        });
        Assert.That(Decode(HandlerUnsubscribed).Type, Is.EqualTo(StatsPacketType.Unsubscribed));
        var m = Decode(HandlerMessage);
        Assert.Multiple(() =>
        {
            Assert.That(m.Channel, Is.EqualTo("test"));
            Assert.That(m.ItemId, Is.EqualTo("msg1"));
            Assert.That(m.Transport, Is.EqualTo("http-response"));
            Assert.That(m.Count, Is.EqualTo(1));
            Assert.That(m.Blocks, Is.Null);
        });
        Assert.That(Decode(HandlerWsMessage).ItemId, Is.Null);
    }

    [Test]
    public void Captured_report_decodes_every_counter()
    {
        var r = Decode(ProxyReport);
        Assert.Multiple(() =>
        {
            Assert.That(r.Type, Is.EqualTo(StatsPacketType.Report));
            Assert.That(r.ConnectionsMax, Is.EqualTo(2));
            Assert.That(r.ConnectionsMinutes, Is.EqualTo(3));
            Assert.That(r.Duration, Is.EqualTo(3493));
            Assert.That(r.MessagesReceived, Is.Zero);
            Assert.That(r.BlocksReceived, Is.Null);
            Assert.That(r.Counters![StatsCounter.ClientHeaderBytesReceived], Is.EqualTo(174));
            Assert.That(r.Counters[StatsCounter.ClientHeaderBytesSent], Is.EqualTo(27));
            Assert.That(r.Counters[StatsCounter.ClientContentBytesSent], Is.EqualTo(6));
            Assert.That(r.Counters[StatsCounter.ServerHeaderBytesReceived], Is.EqualTo(233));
            Assert.That(r.Counters[StatsCounter.ServerHeaderBytesSent], Is.EqualTo(1291));
            Assert.That(r.Counters[StatsCounter.ServerContentBytesReceived], Is.EqualTo(34));
            Assert.That(r.Counters[StatsCounter.ServerMessagesSent], Is.Zero);
        });
    }

    [Test]
    public void Captured_json_report_decodes_and_reencodes_as_json_with_the_same_fields()
    {
        var r = Decode(HandlerJsonReport);
        Assert.That(r.From, Is.EqualTo("pushpin-handler_18602"));
        Assert.That(r.MessagesReceived, Is.EqualTo(2));
        Assert.That(r.Duration, Is.EqualTo(3235));
        var encoded = Encoding.UTF8.GetString(StatsCodec.Encode(r, StatsFormat.Json));
        Assert.That(encoded, Does.StartWith("report J{"));
        var expected = JsonNode.Parse(HandlerJsonReport["report J".Length..])!.AsObject();
        var actual = JsonNode.Parse(encoded["report J".Length..])!.AsObject();
        Assert.That(actual.Select(p => p.Key).Order(StringComparer.Ordinal), Is.EqualTo(expected.Select(p => p.Key).Order(StringComparer.Ordinal)));
        foreach (var (key, value) in expected)
        {
            Assert.That(actual[key]!.ToJsonString(), Is.EqualTo(value!.ToJsonString()), key);
        }
    }

    [Test]
    public void Every_type_round_trips_in_both_formats()
    {
        var counters = new StatsCounters { [StatsCounter.ServerMessagesSent] = 9 };
        StatsPacket[] packets =
        [
            new() { Type = StatsPacketType.Activity, From = "h", Route = "r1", Count = 5 },
            new() { Type = StatsPacketType.Message, From = "h", Channel = "ch", ItemId = "i", Count = 2, Blocks = 4, Transport = "http-stream" },
            new() { Type = StatsPacketType.Connected, From = "h", ConnectionId = "c1", ConnectionType = StatsConnectionType.WebSocket, PeerAddress = "::1", Ssl = true, Ttl = 120 },
            new() { Type = StatsPacketType.Disconnected, From = "h", ConnectionId = "c1" },
            new() { Type = StatsPacketType.Subscribed, From = "h", Mode = "ws", Channel = "ché", Ttl = 60, Subscribers = 3 },
            new() { Type = StatsPacketType.Unsubscribed, From = "h", Mode = "ws", Channel = "ché" },
            new() { Type = StatsPacketType.Report, From = "h", ConnectionsMax = 1, ConnectionsMinutes = 2, MessagesReceived = 3, MessagesSent = 4, HttpResponseMessagesSent = 5, BlocksReceived = 6, BlocksSent = 7, Duration = 8, Counters = counters },
            new() { Type = StatsPacketType.Counts, From = "h", RequestsReceived = 7 },
            new() { Type = StatsPacketType.ConnectionsMax, From = "h", ConnectionsMax = 10, Ttl = 60, RetrySeq = 3 },
        ];
        foreach (var format in new[] { StatsFormat.TnetString, StatsFormat.Json })
        {
            foreach (var p in packets)
            {
                var back = StatsCodec.Decode(StatsCodec.Encode(p, format));
                Assert.That(Canonical(StatsCodec.ToDictionary(back)), Is.EqualTo(Canonical(StatsCodec.ToDictionary(p))), $"{p.Type} {format}");
                Assert.That(back.Type, Is.EqualTo(p.Type));
            }
        }
    }

    [Test]
    public void Optional_fields_are_omitted_as_upstream_does()
    {
        var conn = StatsCodec.ToDictionary(new StatsPacket { Type = StatsPacketType.Connected, ConnectionId = "c", Ttl = 120 });
        Assert.That(conn.Keys, Is.EquivalentTo(new[] { "id", "type", "ttl" }));
        var counts = StatsCodec.ToDictionary(new StatsPacket { Type = StatsPacketType.Counts, From = "x", RequestsReceived = 0 });
        Assert.That(counts.Keys, Is.EquivalentTo(new[] { "from" }));
        var activity = StatsCodec.ToDictionary(new StatsPacket { Type = StatsPacketType.Activity, Count = -4 });
        Assert.That(activity["count"], Is.Zero, "negative activity is clamped");
    }

    [Test]
    public void Integers_sent_as_digit_strings_are_accepted_like_the_cpp_side()
    {
        var p = Decode("activity T24:5:count,2:12,4:from,1:x,}");
        Assert.That(p.Count, Is.EqualTo(12));
    }

    [TestCase("", "no '<type> ' prefix")]
    [TestCase("activity", "no '<type> ' prefix")]
    [TestCase("activity ", "has no body")]
    [TestCase("activity X{}", "neither 'T' nor 'J'")]
    [TestCase("activity T5:abc,}", "not a valid TNetString")]
    [TestCase("activity T3:abc,", "not a TNetString dictionary")]
    [TestCase("activity J{\"count\":", "not valid JSON")]
    [TestCase("activity J[1]", "not an object")]
    [TestCase("activity T0:}", "missing field 'count'")]
    [TestCase("activity J{\"count\":-1}", "'count' is negative")]
    [TestCase("activity J{\"count\":\"many\"}", "'count' is not an integer")]
    [TestCase("message J{\"count\":1,\"transport\":\"ws-message\"}", "missing field 'channel'")]
    [TestCase("conn J{\"id\":\"a\",\"type\":\"tcp\",\"ttl\":1}", "expected 'http' or 'ws'")]
    [TestCase("conn J{\"id\":\"a\",\"type\":\"http\",\"ttl\":1,\"peer-address\":\"nope\"}", "not an IP address")]
    [TestCase("conn J{\"id\":\"a\",\"unavailable\":1}", "'unavailable' is not a boolean")]
    [TestCase("sub J{\"mode\":\"ws\",\"channel\":\"c\"}", "missing field 'ttl'")]
    [TestCase("conn-max J{\"max\":1}", "missing field 'ttl'")]
    [TestCase("weather J{}", "unknown stats type 'weather'")]
    [TestCase("activity J{\"count\":1e400}", "'count' is not an integer")]
    [TestCase("activity J{\"count\":1.5}", "'count' is not an integer")]
    [TestCase("activity T12:5:count,1:x,}", "'count' is not an integer")]
    [TestCase("activity J{\"count\":99999999999999999999999}", "'count' is not an integer")]
    [TestCase("activity J{\"count\":1,\"from\":5}", "'from' is not a string")]
    public void Bad_frames_give_a_clear_error(string frame, string reason)
    {
        var ok = StatsCodec.TryDecode(Encoding.UTF8.GetBytes(frame), out var packet, out var error);
        Assert.That(ok, Is.False);
        Assert.That(packet, Is.Null);
        Assert.That(error, Does.Contain(reason));
        Assert.That(() => StatsCodec.Decode(Encoding.UTF8.GetBytes(frame)), Throws.TypeOf<StatsPacketException>());
    }

    [Test]
    public void Random_garbage_never_throws_from_TryDecode()
    {
        var rng = new Random(1234);
        var seeds = TnetFrames.Select(Encoding.UTF8.GetBytes).ToArray();
        for (var i = 0; i < 5000; i++)
        {
            var frame = (byte[])seeds[i % seeds.Length].Clone();
            var flips = rng.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                frame[rng.Next(frame.Length)] = (byte)rng.Next(256);
            }
            var cut = frame.AsSpan(0, rng.Next(frame.Length + 1)).ToArray();
            Assert.DoesNotThrow(() => StatsCodec.TryDecode(cut, out _, out _));
        }
    }

    /// <summary>Order-independent text form of a decoded dictionary (byte strings as UTF-8).</summary>
    internal static string Canonical(object? value) => value switch
    {
        Dictionary<string, object?> d => "{" + string.Join(",", d.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + Canonical(kv.Value))) + "}",
        byte[] b => "\"" + Encoding.UTF8.GetString(b) + "\"",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        null => "null",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };
}
