using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Common.Zhttp;

/// <summary>
/// The responder side of zhttp stream mode: PULL for first packets, ROUTER for the rest of
/// each session (and for replies when the requester asked for <c>router-resp</c>), PUB for
/// replies otherwise. The proxy connects these toward connmgr's server side; the handler
/// uses them without the PULL (it only continues sessions handed to it); connmgr's client
/// mode binds them.
/// </summary>
public sealed class ZhttpResponder : ZhttpSocketSet
{
    private readonly PullSocket? _pull;
    private readonly RouterSocket _router;
    private readonly PublisherSocket _pub;

    public ZhttpResponder(string instanceId, ZhttpEndpoints endpoints, ILogger logger)
        : base(instanceId, logger)
    {
        _pull = endpoints.Initial.Count > 0 ? new PullSocket() : null;
        _router = new RouterSocket();
        _pub = new PublisherSocket();
        try
        {
            _router.Options.Identity = System.Text.Encoding.Latin1.GetBytes(instanceId);
            _router.Options.RouterMandatory = true;
            _router.Options.SendHighWatermark = StreamHighWatermark;
            _router.Options.ReceiveHighWatermark = StreamHighWatermark;
            _router.Options.Linger = TimeSpan.FromMilliseconds(500);
            _pub.Options.SendHighWatermark = StreamHighWatermark;
            _pub.Options.Linger = TimeSpan.FromMilliseconds(500);
            if (_pull is not null)
            {
                _pull.Options.ReceiveHighWatermark = StreamHighWatermark;
                ZmqEndpoints.Attach(_pull, endpoints.Initial, endpoints.Bind, "zhttp initial (PULL)");
            }
            ZmqEndpoints.Attach(_router, endpoints.Stream, endpoints.Bind, "zhttp stream (ROUTER)");
            ZmqEndpoints.Attach(_pub, endpoints.Reply, endpoints.Bind, "zhttp replies (PUB)");
        }
        catch
        {
            DisposeSockets();
            throw;
        }
    }

    protected override NetMQSocket? InitialSocket => _pull;

    protected override RouterSocket StreamSocket => _router;

    protected override NetMQSocket? ReplySocket => _pub;

    /// <summary>
    /// Queues a packet for requester <paramref name="requesterId"/>: through the ROUTER when the
    /// session asked for <c>router-resp</c>, else published with the requester's id as topic.
    /// </summary>
    public void Send(string requesterId, ZhttpPacket packet, bool routerResp)
    {
        if (routerResp)
        {
            SendToRouter(requesterId, packet);
        }
        else
        {
            EnqueuePublish(requesterId, packet);
        }
    }

    protected override void DisposeSockets()
    {
        _pull?.Dispose();
        _router.Dispose();
        _pub.Dispose();
    }
}
