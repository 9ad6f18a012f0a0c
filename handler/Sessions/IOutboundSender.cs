using Pushpin.Common.Zhttp;

namespace Pushpin.Handler.Sessions;

/// <summary>The handler's own outbound requests (next links, gone links): the proxy's intreq sockets.</summary>
internal interface IOutboundSender
{
    /// <summary>The <c>from</c> of our requests (the requester's ROUTER identity and reply topic).</summary>
    string InstanceId { get; }

    /// <summary>Queues the first packet of a request for whichever proxy takes it.</summary>
    void SendInitial(ZhttpPacket packet);

    /// <summary>Queues a later packet (credits, cancel) for the proxy that answered.</summary>
    void Send(string responderId, ZhttpPacket packet);
}
