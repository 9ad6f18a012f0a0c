using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Common.Zhttp;

/// <summary>
/// The requester side of zhttp stream mode: PUSH for the first packet of a session (any
/// responder may take it), ROUTER for later packets addressed to the responder that answered,
/// SUB for replies published with our id as the topic. connmgr in server mode binds these; the
/// proxy connects them toward connmgr's client mode.
/// </summary>
public sealed class ZhttpRequester : ZhttpSocketSet
{
    private readonly PushSocket _push;
    private readonly RouterSocket _router;
    private readonly SubscriberSocket _sub;

    public ZhttpRequester(string instanceId, ZhttpEndpoints endpoints, ILogger logger, int initialHighWatermark = 1000)
        : base(instanceId, logger)
    {
        _push = new PushSocket();
        _router = new RouterSocket();
        _sub = new SubscriberSocket();
        try
        {
            _push.Options.SendHighWatermark = initialHighWatermark;
            _push.Options.Linger = TimeSpan.Zero;
            _router.Options.Identity = System.Text.Encoding.Latin1.GetBytes(instanceId);
            _router.Options.RouterMandatory = true;
            _router.Options.SendHighWatermark = StreamHighWatermark;
            _router.Options.ReceiveHighWatermark = StreamHighWatermark;
            _router.Options.Linger = TimeSpan.FromMilliseconds(500);
            _sub.Options.ReceiveHighWatermark = StreamHighWatermark;
            _sub.Subscribe(System.Text.Encoding.Latin1.GetBytes(instanceId + " "));
            ZmqEndpoints.Attach(_push, endpoints.Initial, endpoints.Bind, "zhttp initial (PUSH)");
            ZmqEndpoints.Attach(_router, endpoints.Stream, endpoints.Bind, "zhttp stream (ROUTER)");
            ZmqEndpoints.Attach(_sub, endpoints.Reply, endpoints.Bind, "zhttp replies (SUB)");
        }
        catch
        {
            DisposeSockets();
            throw;
        }
    }

    protected override NetMQSocket? InitialSocket => _push;

    protected override RouterSocket StreamSocket => _router;

    protected override NetMQSocket? ReplySocket => _sub;

    /// <summary>
    /// Queues the first packet of a session for whichever responder takes it. If none can
    /// (none connected, or its queue is full), an <c>error</c> packet with condition
    /// <c>service-unavailable</c> and the session's id appears on <see cref="ZhttpSocketSet.Incoming"/>.
    /// </summary>
    public void SendInitial(ZhttpPacket packet) => EnqueueInitial(packet);

    protected override void DisposeSockets()
    {
        _push.Dispose();
        _router.Dispose();
        _sub.Dispose();
    }
}
