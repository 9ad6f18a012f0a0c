using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;

namespace Pushpin.Common.Stats;

/// <summary>
/// Reads another instance's stats socket (the handler's <c>proxy_stats_specs</c>): a SUB that
/// connects to every spec, on its own poller thread, offering decoded packets on
/// <see cref="Incoming"/>. Frames that do not decode are logged and dropped.
/// </summary>
public sealed partial class StatsSubscriber : IDisposable
{
    private readonly SubscriberSocket _sub;
    private readonly NetMQPoller _poller;
    private readonly Channel<StatsPacket> _incoming = Channel.CreateUnbounded<StatsPacket>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ILogger _logger;
    private Thread? _thread;
    private bool _disposed;
    private long _invalid;

    /// <param name="specs">Endpoints to connect to.</param>
    /// <param name="logger">Where dropped frames are reported.</param>
    /// <param name="types">Wire types to receive (e.g. <c>conn</c>, <c>report</c>); empty for all.</param>
    public StatsSubscriber(IReadOnlyList<string> specs, ILogger logger, IEnumerable<string>? types = null)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (specs.Count == 0)
        {
            throw new ArgumentException("no stats spec to connect to", nameof(specs));
        }
        _logger = logger;
        _sub = new SubscriberSocket();
        try
        {
            _sub.Options.ReceiveHighWatermark = 200000;
            var any = false;
            foreach (var type in types ?? [])
            {
                _sub.Subscribe(System.Text.Encoding.ASCII.GetBytes(type + " "));
                any = true;
            }
            if (!any)
            {
                _sub.SubscribeToAnyTopic();
            }
            foreach (var spec in specs)
            {
                if (spec.StartsWith("ipc://", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"stats spec '{spec}': ipc:// is not supported here, use tcp://127.0.0.1:PORT", nameof(specs));
                }
                _sub.Connect(spec);
            }
        }
        catch
        {
            _sub.Dispose();
            throw;
        }
        _sub.ReceiveReady += (_, e) => Receive(e.Socket);
        _poller = [_sub];
    }

    /// <summary>Decoded packets, in arrival order.</summary>
    public ChannelReader<StatsPacket> Incoming => _incoming.Reader;

    /// <summary>Frames dropped because they did not decode.</summary>
    public long Invalid => Interlocked.Read(ref _invalid);

    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_thread is not null)
        {
            return;
        }
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "stats SUB" };
        _thread.Start();
    }

    private void Receive(NetMQSocket socket)
    {
        while (socket.TryReceiveFrameBytes(TimeSpan.Zero, out var frame, out var more))
        {
            // Stats messages are single-frame; skip any extra frames.
            while (more && socket.TryReceiveFrameBytes(TimeSpan.Zero, out _, out more))
            {
            }
            if (StatsCodec.TryDecode(frame, out var packet, out var error))
            {
                _incoming.Writer.TryWrite(packet!);
            }
            else
            {
                Interlocked.Increment(ref _invalid);
                LogInvalid(_logger, error!);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_thread is not null)
        {
            _poller.Stop();
            _thread.Join();
        }
        _incoming.Writer.TryComplete();
        _poller.Dispose();
        _sub.Dispose();
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "stats: dropped invalid message: {Reason}")]
    private static partial void LogInvalid(ILogger logger, string reason);
}
