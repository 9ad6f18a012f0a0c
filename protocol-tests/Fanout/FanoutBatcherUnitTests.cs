using Pushpin.Common.Zhttp;
using Pushpin.Handler.Sessions;

namespace Pushpin.ProtocolTests.Fanout;

/// <summary>The handler's merging of one item's deliveries into multi-id data packets.</summary>
public sealed class FanoutBatcherUnitTests
{
    private readonly List<(string Peer, ZhttpPacket Packet, bool RouterResp)> _sent = [];
    private FanoutBatcher _batcher = null!;

    [SetUp]
    public void SetUp()
    {
        _sent.Clear();
        // Snapshot through the codec: the batcher reuses its packets after each send.
        _batcher = new FanoutBatcher((peer, p, rr) =>
        {
            Assert.That(ZhttpCodec.TryDecode(ZhttpCodec.Encode(p), out var copy, out var error), Is.True, error);
            _sent.Add((peer, copy!, rr));
        });
    }

    private static ZhttpPacket Body(string id, int seq, byte[] body, bool more = true) =>
        new() { From = "handler", Id = id, Seq = seq, Type = ZhttpPacketType.Data, Body = body, More = more, Multi = true };

    [Test]
    public void Same_body_deliveries_to_a_multi_peer_leave_as_one_packet_listing_every_session_and_seq()
    {
        var body = "m1\n"u8.ToArray();
        _batcher.PeerSeen("connmgr", multi: true);
        _batcher.Begin();
        for (var i = 0; i < 5; i++)
        {
            _batcher.Send("connmgr", Body($"s{i}", 10 + i, body), false);
        }
        Assert.That(_sent, Is.Empty, "held back until the fan-out ends");
        _batcher.End();

        Assert.That(_sent, Has.Count.EqualTo(1));
        var p = _sent[0].Packet;
        Assert.Multiple(() =>
        {
            Assert.That(_sent[0].Peer, Is.EqualTo("connmgr"));
            Assert.That(p.Ids, Is.EqualTo(Enumerable.Range(0, 5).Select(i => new ZhttpSessionRef($"s{i}", 10 + i)).ToArray()));
            Assert.That(p.Body.ToArray(), Is.EqualTo(body));
            Assert.That(p.More, Is.True);
            Assert.That(p.From, Is.EqualTo("handler"));
        });
    }

    [Test]
    public void Peers_that_never_announced_multi_get_one_packet_per_session()
    {
        var body = "m1\n"u8.ToArray();
        _batcher.PeerSeen("condure-old", multi: false);
        _batcher.Begin();
        _batcher.Send("condure-old", Body("a", 1, body), false);
        _batcher.Send("condure-old", Body("b", 1, body), false);
        Assert.That(_sent, Has.Count.EqualTo(2), "sent at once, never merged");
        _batcher.End();
        Assert.That(_sent.Select(s => s.Packet.Id), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(_sent.All(s => s.Packet.Ids is null), Is.True);
    }

    [Test]
    public void Outside_a_fan_out_packets_leave_at_once()
    {
        _batcher.PeerSeen("connmgr", multi: true);
        _batcher.Send("connmgr", Body("a", 1, "x"u8.ToArray()), false);
        Assert.That(_sent, Has.Count.EqualTo(1));
        Assert.That(_sent[0].Packet.Id, Is.EqualTo("a"));
    }

    [Test]
    public void A_lone_delivery_keeps_the_single_id_form()
    {
        _batcher.PeerSeen("connmgr", multi: true);
        _batcher.Begin();
        _batcher.Send("connmgr", Body("a", 4, "x"u8.ToArray()), false);
        _batcher.End();
        Assert.That(_sent, Has.Count.EqualTo(1));
        Assert.That((_sent[0].Packet.Id, _sent[0].Packet.Seq, _sent[0].Packet.Ids), Is.EqualTo(("a", 4, (List<ZhttpSessionRef>?)null)));
    }

    [Test]
    public void A_sessions_later_packet_never_overtakes_its_held_back_delivery()
    {
        var m1 = "m1\n"u8.ToArray();
        var m2 = "m2\n"u8.ToArray();
        _batcher.PeerSeen("connmgr", multi: true);
        _batcher.Begin();
        _batcher.Send("connmgr", Body("a", 1, m1), false);
        _batcher.Send("connmgr", Body("b", 1, m1), false);
        // a's next packets: another body, then the end of its response (empty body: not mergeable).
        _batcher.Send("connmgr", Body("a", 2, m2), false);
        _batcher.Send("connmgr", Body("a", 3, [], more: false), false);
        _batcher.End();

        var order = new List<(string Id, int Seq)>();
        foreach (var (_, p, _) in _sent)
        {
            order.AddRange(p.Ids is { } ids ? ids.Select(r => (r.Id, r.Seq)) : [(p.Id!, p.Seq)]);
        }
        var seqsOfA = order.Where(o => o.Id == "a").Select(o => o.Seq).ToArray();
        Assert.That(seqsOfA, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(order, Has.Member(("b", 1)));
        Assert.That(_sent[0].Packet.Ids, Has.Count.EqualTo(2), "the first item's deliveries were merged");
    }

    [Test]
    public void Router_resp_sessions_and_other_peers_get_their_own_packets()
    {
        var body = "m\n"u8.ToArray();
        _batcher.PeerSeen("c1", multi: true);
        _batcher.PeerSeen("c2", multi: true);
        _batcher.Begin();
        _batcher.Send("c1", Body("a", 0, body), false);
        _batcher.Send("c2", Body("b", 0, body), false);
        _batcher.Send("c1", Body("c", 0, body), true);
        _batcher.Send("c1", Body("d", 0, body), false);
        _batcher.End();
        Assert.That(_sent.Select(s => (s.Peer, s.RouterResp, Ids: s.Packet.Ids?.Count ?? 1)),
            Is.EquivalentTo(new[] { ("c1", false, 2), ("c2", false, 1), ("c1", true, 1) }));
    }

    [Test]
    public void A_large_fan_out_is_split_into_packets_of_at_most_MaxIds()
    {
        var body = "m\n"u8.ToArray();
        var n = (FanoutBatcher.MaxIds * 2) + 5;
        _batcher.PeerSeen("connmgr", multi: true);
        _batcher.Begin();
        for (var i = 0; i < n; i++)
        {
            _batcher.Send("connmgr", Body($"s{i}", 0, body), false);
        }
        _batcher.End();
        Assert.That(_sent.Select(s => s.Packet.Ids?.Count ?? 1), Is.EqualTo(new[] { FanoutBatcher.MaxIds, FanoutBatcher.MaxIds, 5 }));
        Assert.That(_sent.SelectMany(s => s.Packet.Ids!).Select(r => r.Id), Is.EqualTo(Enumerable.Range(0, n).Select(i => $"s{i}")));
    }
}
