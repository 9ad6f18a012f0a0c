using Pushpin.Common.Zhttp;

namespace Pushpin.Handler.Sessions;

/// <summary>Sends through common's <see cref="ZhttpResponder"/> (which encodes at enqueue time).</summary>
internal sealed class ResponderSender(ZhttpResponder responder) : IZhttpSender
{
    public void Send(string requesterId, ZhttpPacket packet, bool routerResp) => responder.Send(requesterId, packet, routerResp);
}
