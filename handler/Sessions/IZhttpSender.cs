using Pushpin.Common.Zhttp;

namespace Pushpin.Handler.Sessions;

/// <summary>Where sessions send their zhttp packets (the responder sockets toward connmgr).</summary>
internal interface IZhttpSender
{
    /// <summary>Queues a packet; the packet is encoded before this returns, so its buffers may be reused.</summary>
    void Send(string requesterId, ZhttpPacket packet, bool routerResp);
}
