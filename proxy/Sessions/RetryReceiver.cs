using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Transport;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// The ROUTER (identity = proxy id) that receives the handler's retry packets
/// (<c>[handler-id, "", tnetstring]</c>, internals.md §4.5), on its own poller thread.
/// Malformed packets are logged and dropped.
/// </summary>
internal sealed partial class RetryReceiver : IDisposable
{
    private readonly RouterSocket _router = new();
    private readonly NetMQPoller _poller = new();
    private readonly Channel<RetryPacket> _packets = Channel.CreateUnbounded<RetryPacket>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ILogger _logger;
    private Thread? _thread;

    public RetryReceiver(string spec, string identity, ILogger logger)
    {
        _logger = logger;
        _router.Options.Identity = System.Text.Encoding.Latin1.GetBytes(identity);
        _router.Options.ReceiveHighWatermark = 101_000;
        try
        {
            ZmqEndpoints.Attach(_router, [spec], bind: true, "[proxy] handler_retry_in_spec");
        }
        catch
        {
            _router.Dispose();
            throw;
        }
        _router.ReceiveReady += (_, _) => Receive();
        _poller.Add(_router);
    }

    public ChannelReader<RetryPacket> Packets => _packets.Reader;

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "proxy retry" };
        _thread.Start();
    }

    private void Receive()
    {
        var frames = new List<byte[]>(3);
        while (_router.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 3))
        {
            // [routing-id, "", payload]; a bare payload (1.36's PUSH framing) is taken as well.
            var payload = frames[^1];
            try
            {
                var data = payload.Length > 0 && payload[0] == (byte)'T' ? payload.AsSpan(1) : payload.AsSpan();
                if (RetryPacket.TryParse(TnetString.ParseDictionary(data), out var packet, out var error))
                {
                    _packets.Writer.TryWrite(packet!);
                }
                else
                {
                    LogMalformed(_logger, error!);
                }
            }
            catch (TnetStringException e)
            {
                LogMalformed(_logger, e.Message);
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
        _router.Dispose();
        _packets.Writer.TryComplete();
    }

    [LoggerMessage(2101, LogLevel.Warning, "retry: dropped malformed packet: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string reason);
}
