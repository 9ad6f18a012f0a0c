using Pushpin.Common.Zhttp;

namespace Pushpin.Handler.Sessions;

/// <summary>
/// Sends through common's <see cref="ZhttpResponder"/> (which encodes at enqueue time). During a
/// fan-out it merges the body-only data packets that carry the same body to sessions of the same
/// requester into one multi-id data packet (design.md, "Measured facts": one packet per
/// subscriber cannot keep up), but only toward requesters that announced <c>ext.multi</c>.
/// Setting the environment variable <c>PUSHPIN_FANOUT_MERGE=0</c> turns merging off (for
/// before/after measurements, docs/benchmarks.md).
/// </summary>
internal sealed class ResponderSender(ZhttpResponder responder) : IZhttpSender
{
    private readonly bool _merge = Environment.GetEnvironmentVariable("PUSHPIN_FANOUT_MERGE") != "0";
    private readonly FanoutBatcher _batcher = new((peer, packet, routerResp) => responder.Send(peer, packet, routerResp));

    public void Send(string requesterId, ZhttpPacket packet, bool routerResp) => _batcher.Send(requesterId, packet, routerResp);

    public void BeginFanout() => _batcher.Begin();

    public void EndFanout() => _batcher.End();

    public void PeerSeen(string peerId, bool multi) => _batcher.PeerSeen(peerId, multi && _merge);
}
