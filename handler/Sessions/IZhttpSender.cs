using Pushpin.Common.Zhttp;

namespace Pushpin.Handler.Sessions;

/// <summary>Where sessions send their zhttp packets (the responder sockets toward connmgr).</summary>
internal interface IZhttpSender
{
    /// <summary>Queues a packet; the packet is encoded before this returns, so its buffers may be reused.</summary>
    void Send(string requesterId, ZhttpPacket packet, bool routerResp);

    /// <summary>
    /// Starts delivering one published item to many sessions: until <see cref="EndFanout"/> a
    /// sender may hold body-only data packets back and merge those with the same body into
    /// multi-id packets. Senders that do not batch ignore it.
    /// </summary>
    void BeginFanout()
    {
    }

    /// <summary>Sends everything held back since <see cref="BeginFanout"/>.</summary>
    void EndFanout()
    {
    }

    /// <summary>A packet arrived from requester <paramref name="peerId"/>; <paramref name="multi"/> = it announced <c>ext.multi</c>.</summary>
    void PeerSeen(string peerId, bool multi)
    {
    }
}
