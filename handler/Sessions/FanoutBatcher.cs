using Pushpin.Common.Zhttp;

namespace Pushpin.Handler.Sessions;

/// <summary>
/// Merges one published item's deliveries into multi-id data packets: between <see cref="Begin"/>
/// and <see cref="End"/>, body-only data packets for a requester that announced <c>ext.multi</c>
/// are held back and those with the same body (same buffer, offset, length and <c>more</c>) go out
/// as one packet whose <c>id</c> lists every session with its own seq.
/// </summary>
/// <remarks>
/// Ordering: each session's packets must leave in seq order. Only one batch per requester (and
/// router-resp mode) is open at a time, and any other packet for that requester closes it first,
/// so a session's held-back packet always leaves before its next one. Engine thread only.
/// </remarks>
internal sealed class FanoutBatcher(Action<string, ZhttpPacket, bool> send)
{
    /// <summary>Ids per packet: bounds the packet (about 40 bytes per id) and connmgr's decode work per packet.</summary>
    public const int MaxIds = 1024;

    private readonly HashSet<string> _multiPeers = new(StringComparer.Ordinal);
    private readonly List<Batch> _open = [];
    private readonly Stack<Batch> _free = new();
    private int _depth;

    /// <summary>Packets sent so far (merged packets count once); for tests and benchmarks.</summary>
    public long PacketsSent { get; private set; }

    public void PeerSeen(string peerId, bool multi)
    {
        if (multi && !_multiPeers.Contains(peerId))
        {
            _multiPeers.Add(peerId);
        }
    }

    public void Begin() => _depth++;

    public void End()
    {
        if (_depth > 0 && --_depth == 0)
        {
            for (var i = 0; i < _open.Count; i++)
            {
                Flush(_open[i]);
                _free.Push(_open[i]);
            }
            _open.Clear();
        }
    }

    public void Send(string requesterId, ZhttpPacket packet, bool routerResp)
    {
        if (_depth == 0 || _open.Count == 0 && !_multiPeers.Contains(requesterId))
        {
            Out(requesterId, packet, routerResp);
            return;
        }
        var index = FindOpen(requesterId, routerResp);
        if (Mergeable(packet) && _multiPeers.Contains(requesterId))
        {
            if (index >= 0 && _open[index].Accepts(packet))
            {
                _open[index].Add(packet);
                if (_open[index].Ids.Count == MaxIds)
                {
                    Flush(_open[index]);
                }
                return;
            }
            if (index >= 0)
            {
                Flush(_open[index]);
            }
            else
            {
                index = _open.Count;
                _open.Add(_free.Count > 0 ? _free.Pop() : new Batch());
            }
            _open[index].Open(requesterId, routerResp, packet);
            return;
        }
        if (index >= 0)
        {
            // Whatever this session sent earlier in the batch must leave first.
            Flush(_open[index]);
        }
        Out(requesterId, packet, routerResp);
    }

    // Body-only data continuing a response: what a stream delivery looks like.
    private static bool Mergeable(ZhttpPacket p) =>
        p.Type == ZhttpPacketType.Data && p.Id is not null && p.Ids is null && p.Seq >= 0 && !p.Body.IsEmpty &&
        p.Code < 0 && p.Headers is null && p.Reason is null && p.Credits < 0 && p.ContentType is null;

    private int FindOpen(string requesterId, bool routerResp)
    {
        for (var i = 0; i < _open.Count; i++)
        {
            if (_open[i].RouterResp == routerResp && string.Equals(_open[i].Peer, requesterId, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private void Flush(Batch b)
    {
        switch (b.Ids.Count)
        {
            case 0:
                return;
            case 1:
                b.Packet.Id = b.Ids[0].Id;
                b.Packet.Seq = b.Ids[0].Seq;
                b.Packet.Ids = null;
                break;
            default:
                b.Packet.Id = null;
                b.Packet.Seq = -1;
                b.Packet.Ids = b.Ids;
                break;
        }
        // The responder encodes before returning, so the packet and id list are reused.
        Out(b.Peer!, b.Packet, b.RouterResp);
        b.Ids.Clear();
    }

    private void Out(string requesterId, ZhttpPacket packet, bool routerResp)
    {
        PacketsSent++;
        send(requesterId, packet, routerResp);
    }

    private sealed class Batch
    {
        public string? Peer { get; private set; }

        public bool RouterResp { get; private set; }

        public ZhttpPacket Packet { get; } = new() { Type = ZhttpPacketType.Data };

        public List<ZhttpSessionRef> Ids { get; } = [];

        public void Open(string peer, bool routerResp, ZhttpPacket first)
        {
            Peer = peer;
            RouterResp = routerResp;
            Packet.From = first.From;
            Packet.Body = first.Body;
            Packet.More = first.More;
            Packet.Multi = first.Multi;
            Packet.UserData = first.UserData;
            Ids.Clear();
            Add(first);
        }

        public bool Accepts(ZhttpPacket p) =>
            Ids.Count > 0 && p.Body.Equals(Packet.Body) && p.More == Packet.More && ReferenceEquals(p.UserData, Packet.UserData) &&
            string.Equals(p.From, Packet.From, StringComparison.Ordinal);

        public void Add(ZhttpPacket p) => Ids.Add(new ZhttpSessionRef(p.Id!, p.Seq));
    }
}
