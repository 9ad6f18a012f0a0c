using System.Text;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Common;

/// <summary>Multi-id data packets (one body for many sessions, between our own daemons): wire bytes both ways.</summary>
public sealed class ZhttpMultiDataCodecUnitTests
{
    // Two sessions, each with its own seq, one shared body; type data is implicit.
    private const string Wire = "T132:4:from,7:handler,2:id,54:23:2:id,5:0-1-0,3:seq,1:3#}23:2:id,5:0-2-0,3:seq,1:7#}]3:ext,15:5:multi,4:true!}4:body,3:hi\n,4:more,4:true!}";

    [Test]
    public void Multi_id_data_packet_encodes_ids_with_their_seqs_and_one_body()
    {
        var p = new ZhttpPacket
        {
            From = "handler",
            Ids = [new ZhttpSessionRef("0-1-0", 3), new ZhttpSessionRef("0-2-0", 7)],
            Type = ZhttpPacketType.Data,
            Multi = true,
            Body = "hi\n"u8.ToArray(),
            More = true,
        };
        Assert.That(Encoding.Latin1.GetString(ZhttpCodec.Encode(p)), Is.EqualTo(Wire));
    }

    [Test]
    public void Multi_id_data_packet_decodes_to_ids_body_and_more()
    {
        Assert.That(ZhttpCodec.TryDecode(Encoding.Latin1.GetBytes(Wire), out var p, out var error), Is.True, error);
        Assert.Multiple(() =>
        {
            Assert.That(p!.Type, Is.EqualTo(ZhttpPacketType.Data));
            Assert.That(p.Id, Is.Null);
            Assert.That(p.Ids, Is.EqualTo(new[] { new ZhttpSessionRef("0-1-0", 3), new ZhttpSessionRef("0-2-0", 7) }));
            Assert.That(Encoding.ASCII.GetString(p.Body.Span), Is.EqualTo("hi\n"));
            Assert.That(p.More, Is.True);
            Assert.That(p.Multi, Is.True);
        });
    }

    [Test]
    public void A_multi_id_list_entry_without_an_id_is_refused()
    {
        const string bad = "T45:4:from,1:h,2:id,14:10:3:seq,1:3#}]4:body,1:x,}";
        Assert.That(ZhttpCodec.TryDecode(Encoding.Latin1.GetBytes(bad), out _, out var error), Is.False);
        Assert.That(error, Does.Contain("id"));
    }
}
