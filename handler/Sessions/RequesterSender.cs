using Pushpin.Common.Zhttp;

namespace Pushpin.Handler.Sessions;

/// <summary>Outbound requests through common's <see cref="ZhttpRequester"/> connected to the proxy's intreq sockets.</summary>
internal sealed class RequesterSender(ZhttpRequester requester) : IOutboundSender
{
    public string InstanceId => requester.InstanceId;

    public void SendInitial(ZhttpPacket packet) => requester.SendInitial(packet);

    public void Send(string responderId, ZhttpPacket packet) => requester.SendToRouter(responderId, packet);
}
