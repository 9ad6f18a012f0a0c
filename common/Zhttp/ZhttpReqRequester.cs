using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;
namespace Pushpin.Common.Zhttp;

/// <summary>
/// The requester side of zhttp req mode: one DEALER, bound, frames <c>["", "T"+tnetstring]</c>
/// each way (internals.md §3.1-3.2), on its own poller thread. connmgr's req-mode listeners
/// (<c>--zclient-req</c>) and the proxy's <c>zhttpreq/</c> route targets both use it.
/// </summary>
/// <remarks>
/// A request the DEALER cannot take at once (no responder connected, or its queue full) comes
/// back on <see cref="Incoming"/> as a local <c>error</c> (<c>service-unavailable</c>, no
/// <c>from</c>) so the client gets a 503 instead of waiting for the timeout.
/// </remarks>
public sealed partial class ZhttpReqRequester : IDisposable
{
    private readonly DealerSocket _dealer = new();
    private readonly NetMQPoller _poller = new();
    private readonly PollerMailbox<(string? Id, byte[] Frame)> _outgoing;
    private readonly Channel<ZhttpPacket> _incoming = Channel.CreateUnbounded<ZhttpPacket>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ILogger _logger;
    private readonly string _name;
    private Thread? _thread;

    /// <param name="specs">Where the DEALER binds.</param>
    /// <param name="logger">For malformed responses.</param>
    /// <param name="name">Names the poller thread and the socket in bind errors.</param>
    public ZhttpReqRequester(IReadOnlyList<string> specs, ILogger logger, string name = "zhttp req")
    {
        _logger = logger;
        _name = name;
        _dealer.Options.SendHighWatermark = 1000;
        _dealer.Options.Linger = TimeSpan.Zero;
        try
        {
            ZmqEndpoints.Attach(_dealer, specs, bind: true, name);
        }
        catch
        {
            _dealer.Dispose();
            _poller.Dispose();
            throw;
        }
        _outgoing = new PollerMailbox<(string? Id, byte[] Frame)>(_poller, SendNow);
        _dealer.ReceiveReady += (_, _) => Receive();
        _poller.Add(_dealer);
    }

    /// <summary>Responses (and local refusals), in arrival order.</summary>
    public ChannelReader<ZhttpPacket> Incoming => _incoming.Reader;

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = _name };
        _thread.Start();
    }

    /// <summary>Queues a complete request (any thread). It is encoded now, so its body buffer may be reused on return.</summary>
    public void Send(ZhttpPacket packet) => _outgoing.Post((packet.Id, ZhttpCodec.Encode(packet)));

    private void SendNow((string? Id, byte[] Frame) request)
    {
        if (!_dealer.TrySendFrameEmpty(TimeSpan.Zero, more: true))
        {
            _incoming.Writer.TryWrite(new ZhttpPacket { Id = request.Id, Type = ZhttpPacketType.Error, Condition = "service-unavailable" });
            return;
        }
        _dealer.SendFrame(request.Frame);
    }

    private void Receive()
    {
        var frames = new List<byte[]>(2);
        while (_dealer.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 2))
        {
            // The payload follows the empty delimiter; anything else is not ours.
            if (frames.Count < 2)
            {
                LogMalformed(_logger, _name, "no envelope delimiter");
            }
            else if (ZhttpCodec.TryDecode(frames[^1], out var packet, out var error))
            {
                _incoming.Writer.TryWrite(packet!);
            }
            else
            {
                LogMalformed(_logger, _name, error ?? "?");
            }
        }
    }

    public void Dispose()
    {
        if (_thread is not null)
        {
            _poller.Stop();
        }
        _poller.Dispose();
        _outgoing.Dispose();
        _dealer.Dispose();
        _incoming.Writer.TryComplete();
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "{Name}: dropped malformed response: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string name, string reason);
}
