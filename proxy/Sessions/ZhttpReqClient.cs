using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;
using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// A <c>zhttpreq/</c> route target: one DEALER bound at the spec, zhttp req mode (one
/// <c>["", "T"+tnetstring]</c> request, one response; internals.md §3.1), on its own poller
/// thread. A request that cannot be sent at once (no responder connected) comes back as an
/// <c>error</c> packet with condition <c>service-unavailable</c>.
/// </summary>
internal sealed partial class ZhttpReqClient : IDisposable
{
    private readonly DealerSocket _dealer = new();
    private readonly NetMQPoller _poller = new();
    private readonly NetMQQueue<ZhttpPacket> _outgoing = new();
    private readonly Channel<ZhttpPacket> _incoming = Channel.CreateUnbounded<ZhttpPacket>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ILogger _logger;
    private Thread? _thread;

    public ZhttpReqClient(string spec, ILogger logger)
    {
        _logger = logger;
        _dealer.Options.SendHighWatermark = 1000;
        _dealer.Options.Linger = TimeSpan.Zero;
        try
        {
            ZmqEndpoints.Attach(_dealer, [spec], bind: true, "zhttpreq target " + spec);
        }
        catch
        {
            _dealer.Dispose();
            throw;
        }
        _dealer.ReceiveReady += (_, _) => Receive();
        _outgoing.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var packet, TimeSpan.Zero))
            {
                if (!_dealer.TrySendFrameEmpty(TimeSpan.Zero, more: true))
                {
                    _incoming.Writer.TryWrite(new ZhttpPacket { Id = packet.Id, Type = ZhttpPacketType.Error, Condition = "service-unavailable" });
                    continue;
                }
                _dealer.SendFrame(ZhttpCodec.Encode(packet));
            }
        };
        _poller.Add(_dealer);
        _poller.Add(_outgoing);
    }

    public ChannelReader<ZhttpPacket> Incoming => _incoming.Reader;

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "zhttpreq target" };
        _thread.Start();
    }

    /// <summary>Queues a complete request (thread-safe).</summary>
    public void Send(ZhttpPacket packet) => _outgoing.Enqueue(packet);

    private void Receive()
    {
        var frames = new List<byte[]>(2);
        while (_dealer.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 2))
        {
            if (ZhttpCodec.TryDecode(frames[^1], out var packet, out var error))
            {
                _incoming.Writer.TryWrite(packet!);
            }
            else
            {
                LogMalformed(_logger, error ?? "?");
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

    [LoggerMessage(2102, LogLevel.Warning, "zhttpreq: dropped malformed response: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string reason);
}
