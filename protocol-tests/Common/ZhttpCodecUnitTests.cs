using System.Text;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Common;

public sealed class ZhttpCodecUnitTests
{
    private static ZhttpPacket Decode(string wire)
    {
        Assert.That(ZhttpCodec.TryDecode(Encoding.Latin1.GetBytes(wire), out var packet, out var error), Is.True, error);
        return packet!;
    }

    [Test]
    public void Captured_condure_initial_get_decodes_every_field()
    {
        var p = Decode("T316:4:from,7:condure,2:id,5:0-0-0,3:seq,1:0#3:ext,15:5:multi,4:true!}6:method,3:GET,3:uri,32:http://127.0.0.1:28999/hello?x=1,7:headers,99:26:4:Host,15:127.0.0.1:28999,]29:10:User-Agent,11:curl/7.88.1,]15:6:Accept,3:*/*,]13:6:X-Test,1:1,]]7:credits,4:8192#6:stream,4:true!12:peer-address,9:127.0.0.1,9:peer-port,5:47298#}");
        Assert.Multiple(() =>
        {
            Assert.That(p.From, Is.EqualTo("condure"));
            Assert.That(p.Id, Is.EqualTo("0-0-0"));
            Assert.That(p.Seq, Is.Zero);
            Assert.That(p.Multi, Is.True);
            Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Data));
            Assert.That(p.Method, Is.EqualTo("GET"));
            Assert.That(p.Uri, Is.EqualTo("http://127.0.0.1:28999/hello?x=1"));
            Assert.That(p.Headers, Is.EqualTo(new[] { new HttpHeader("Host", "127.0.0.1:28999"), new HttpHeader("User-Agent", "curl/7.88.1"), new HttpHeader("Accept", "*/*"), new HttpHeader("X-Test", "1") }));
            Assert.That(p.Credits, Is.EqualTo(8192));
            Assert.That(p.Stream, Is.True);
            Assert.That(p.PeerAddress, Is.EqualTo("127.0.0.1"));
            Assert.That(p.PeerPort, Is.EqualTo(47298));
        });
    }

    [Test]
    public void Captured_response_start_decodes_body_and_more()
    {
        var p = Decode("T163:4:from,6:capsrv,2:id,5:0-0-0,3:seq,1:0#4:code,3:200#6:reason,2:OK,7:headers,34:30:12:Content-Type,10:text/plain,]]4:body,6:part1\n,4:more,4:true!7:credits,6:100000#}");
        Assert.That(p.Code, Is.EqualTo(200));
        Assert.That(p.Reason, Is.EqualTo("OK"));
        Assert.That(Encoding.ASCII.GetString(p.Body.Span), Is.EqualTo("part1\n"));
        Assert.That(p.More, Is.True);
        Assert.That(p.Credits, Is.EqualTo(100000));
    }

    [Test]
    public void Captured_credit_and_typed_packets_decode()
    {
        var credit = Decode("T95:4:from,7:condure,2:id,5:0-0-0,3:seq,1:1#3:ext,15:5:multi,4:true!}4:type,6:credit,7:credits,1:6#}");
        Assert.That(credit.Type, Is.EqualTo(ZhttpPacketType.Credit));
        Assert.That(credit.Credits, Is.EqualTo(6));
        var proceed = Decode("T91:4:from,7:condure,2:id,5:0-0-2,3:seq,1:1#3:ext,15:5:multi,4:true!}4:type,15:handoff-proceed,}");
        Assert.That(proceed.Type, Is.EqualTo(ZhttpPacketType.HandoffProceed));
        var cancel = Decode("T81:4:from,7:condure,2:id,5:1-0-3,3:seq,1:2#3:ext,15:5:multi,4:true!}4:type,6:cancel,}");
        Assert.That(cancel.Type, Is.EqualTo(ZhttpPacketType.Cancel));
        var end = Decode("T39:4:from,6:capsrv,2:id,5:0-0-0,3:seq,1:2#}");
        Assert.That(end.More, Is.False);
        Assert.That(end.Seq, Is.EqualTo(2));
    }

    [Test]
    public void Captured_batched_keep_alive_lists_every_session()
    {
        var p = Decode("T126:4:from,7:condure,2:id,54:23:2:id,5:1-0-5,3:seq,1:2#}23:2:id,5:1-1-6,3:seq,1:2#}]3:ext,15:5:multi,4:true!}4:type,10:keep-alive,}");
        Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.KeepAlive));
        Assert.That(p.Ids, Is.EqualTo(new[] { new ZhttpSessionRef("1-0-5", 2), new ZhttpSessionRef("1-1-6", 2) }));
    }

    [Test]
    public void Captured_websocket_close_decodes_code_and_reason()
    {
        var p = Decode("T81:4:from,6:capsrv,2:id,5:0-0-9,3:seq,1:3#4:type,5:close,4:code,4:4001#4:body,3:bye,}");
        Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Close));
        Assert.That(p.Code, Is.EqualTo(4001));
        Assert.That(Encoding.UTF8.GetString(p.Body.Span), Is.EqualTo("bye"));
    }

    [Test]
    public void Peer_port_sent_as_digits_string_is_accepted()
    {
        var p = Decode("T39:2:id,1:a,3:seq,1:0#9:peer-port,5:47298,}");
        Assert.That(p.PeerPort, Is.EqualTo(47298));
    }

    [Test]
    public void Every_field_round_trips()
    {
        var original = new ZhttpPacket
        {
            From = "proxy_1", Id = "abc\u00ff", Seq = 7, Multi = true, Method = "POST", Uri = "https://example.com/x?y=1",
            Headers = [new HttpHeader("X-Case", "MiXeD"), new HttpHeader("x-case", "second")],
            Body = "hello"u8.ToArray(), More = true, Stream = true, Credits = 200000, RouterResp = true, MaxSize = 1000000,
            Timeout = 5000, PeerAddress = "::1", PeerPort = 1234, ConnectHost = "127.0.0.1", ConnectPort = 8080,
            IgnorePolicies = true, TrustConnectHost = true, IgnoreTlsErrors = true, FollowRedirects = true,
            ClientCert = "c.pem", ClientKey = "k.pem", ContentType = "binary", Code = 201, Reason = "Created",
            UserData = new Dictionary<string, object?> { ["k"] = "v"u8.ToArray() },
            Passthrough = new Dictionary<string, object?> { ["route"] = "r1"u8.ToArray() },
        };
        var decoded = Decode(Encoding.Latin1.GetString(ZhttpCodec.Encode(original)));
        // Re-encoding the decoded packet gives the same bytes: every field survived.
        Assert.That(ZhttpCodec.Encode(decoded), Is.EqualTo(ZhttpCodec.Encode(original)));
        Assert.That(decoded.Id, Is.EqualTo("abc\u00ff"));
        Assert.That(decoded.Headers, Is.EqualTo(original.Headers));
        Assert.That(decoded.Body.ToArray(), Is.EqualTo(original.Body.ToArray()));
        Assert.That(decoded.ConnectPort, Is.EqualTo(8080));
    }

    [Test]
    public void Multi_id_packets_round_trip_without_top_level_seq()
    {
        var original = new ZhttpPacket { From = "handler_1", Type = ZhttpPacketType.KeepAlive, Ids = [new("a", 1), new("b", 9)], Multi = true };
        var wire = Encoding.Latin1.GetString(ZhttpCodec.Encode(original));
        Assert.That(wire, Does.Not.Contain("3:seq,1:1#3:"));
        var decoded = Decode(wire);
        Assert.That(decoded.Ids, Is.EqualTo(original.Ids));
        Assert.That(decoded.Type, Is.EqualTo(ZhttpPacketType.KeepAlive));
    }

    [Test]
    public void Default_fields_are_omitted_on_the_wire()
    {
        var wire = Encoding.Latin1.GetString(ZhttpCodec.Encode(new ZhttpPacket { From = "x", Id = "1", Seq = 2 }));
        Assert.That(wire, Is.EqualTo("T30:4:from,1:x,2:id,1:1,3:seq,1:2#}"));
    }

    [TestCase("")]
    [TestCase("J{}")]
    [TestCase("T3:abc,")]
    [TestCase("T20:4:type,7:bananas,}")]
    [TestCase("T13:2:id,1:x,3:seq")]
    [TestCase("T22:4:more,5:maybe!}")]
    [TestCase("T16:7:headers,1:x,}")]
    public void Malformed_packets_are_rejected_with_a_reason(string wire)
    {
        Assert.That(ZhttpCodec.TryDecode(Encoding.Latin1.GetBytes(wire), out _, out var error), Is.False);
        Assert.That(error, Is.Not.Empty);
    }
}
