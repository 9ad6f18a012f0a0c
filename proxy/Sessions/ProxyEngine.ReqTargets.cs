using Pushpin.Common.Transport;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.Sessions;

/// <summary><c>zhttpreq/</c> route targets: the whole request in one req-mode packet, one response back.</summary>
public sealed partial class ProxyEngine
{
    private readonly Dictionary<string, ZhttpReqRequester?> _reqTargets = new(StringComparer.Ordinal);

    private void OpenReqTarget(RouteTarget t)
    {
        ZhttpReqRequester? client = null;
        try
        {
            if (!t.ZhttpSpec.StartsWith("tcp://", StringComparison.Ordinal))
            {
                throw new ArgumentException("only tcp:// specs are supported (NetMQ has no Unix sockets); use tcp://127.0.0.1:PORT");
            }
            client = new ZhttpReqRequester([t.ZhttpSpec], _logger, "zhttpreq target " + t.ZhttpSpec);
            client.Start();
            _tasks.Add(Pump(client.Incoming, p => new OutboundPacket(p), _stop.Token));
        }
        catch (Exception e) when (e is ArgumentException or SocketBindException or NetMQ.NetMQException)
        {
            client?.Dispose();
            client = null;
            LogCustomTargetFailed(_logger, t.ToString(), e.Message);
        }
        _reqTargets[t.ZhttpSpec] = client;
    }

    private void StartReqTarget(ProxySession s, RouteTarget target, RequestUri uri)
    {
        if (!_reqTargets.TryGetValue(target.ZhttpSpec, out var client) || client is null)
        {
            LogCustomTargetUnsupported(_logger, target.ToString());
            TryNextTarget(s);
            return;
        }
        s.Uri = uri;
        RequestHeaderRules.ApplyHost(s.Headers, uri);
        s.ReqClient = client;
        s.OutboundId = Guid.NewGuid().ToString("N");
        s.TargetAddress = null;
        s.RequestBodySent = false;
        s.PendingRequestBody.Clear();
        _outbound[s.OutboundId] = s;
        if (s.RequestFinished || s.RequestBodyTooLarge)
        {
            SendReqRequest(s);
        }
    }

    /// <summary>Body arriving while a req-mode target waits for the whole request (it keeps in the kept copy).</summary>
    private void OnReqTargetBody(ProxySession s, ReadOnlyMemory<byte> body)
    {
        if (body.Length > 0 && !s.RequestFinished)
        {
            SendInbound(s, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = body.Length });
        }
        if (s.RequestFinished || s.RequestBodyTooLarge)
        {
            SendReqRequest(s);
        }
    }

    private void SendReqRequest(ProxySession s)
    {
        s.RequestBodySent = true;
        if (s.RequestBodyTooLarge)
        {
            Reject(s, 502, "Bad Gateway", "Error while proxying to origin.", "Request too large for a zhttpreq target (over 100000 bytes).");
            return;
        }
        s.LastSentOutbound = _time.GetUtcNow().UtcDateTime;
        s.ReqClient!.Send(new ZhttpPacket
        {
            From = _options.InstanceId,
            Id = s.OutboundId,
            Method = s.Method,
            Uri = s.Uri.ToString(),
            Headers = s.Headers,
            Body = s.RequestBodyCopy.ToArray(),
            PeerAddress = s.PeerAddress,
        });
    }
}
