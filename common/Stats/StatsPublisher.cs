using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Common.Stats;

/// <summary>
/// The stats PUB socket (upstream's <c>stats_spec</c>): binds the spec, HWM 200000 (PUB drops
/// when a subscriber falls behind, so keep the queue deep), linger 500 ms. The socket lives on
/// its own poller thread; <see cref="Publish"/> may be called from any thread: it encodes on the
/// caller's thread and queues the frame.
/// </summary>
public sealed partial class StatsPublisher : IDisposable
{
    // Upstream's OUT_HWM for the stats socket.
    private const int SendHighWatermark = 200000;

    private readonly PublisherSocket _pub;
    private readonly PollerMailbox<byte[]> _queue;
    private readonly NetMQPoller _poller;
    private readonly ILogger _logger;
    private Thread? _thread;
    private long _dropped;
    private bool _disposed;

    /// <summary>Creates the socket and binds <paramref name="spec"/>; a bind failure throws <see cref="SocketBindException"/> naming it.</summary>
    public StatsPublisher(string spec, StatsFormat format, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.StartsWith("ipc://", StringComparison.Ordinal))
        {
            throw new ArgumentException($"stats spec '{spec}': ipc:// is not supported here, use tcp://127.0.0.1:PORT", nameof(spec));
        }
        Spec = spec;
        Format = format;
        _logger = logger;
        _pub = new PublisherSocket();
        try
        {
            _pub.Options.SendHighWatermark = SendHighWatermark;
            _pub.Options.Linger = TimeSpan.FromMilliseconds(500);
            ZmqEndpoints.Attach(_pub, [spec], bind: true, "stats (PUB)");
        }
        catch
        {
            _pub.Dispose();
            throw;
        }
        _poller = [_pub];
        _queue = new PollerMailbox<byte[]>(_poller, Send);
    }

    public string Spec { get; }

    public StatsFormat Format { get; }

    /// <summary>Frames the socket refused (HWM reached); PUB is lossy by design.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Starts the poller thread.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_thread is not null)
        {
            return;
        }
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "stats PUB" };
        _thread.Start();
    }

    /// <summary>Encodes and queues a packet; usable as the sink of a <see cref="StatsAggregator"/>.</summary>
    public void Publish(StatsPacket packet)
    {
        if (!_disposed)
        {
            _queue.Post(StatsCodec.Encode(packet, Format));
        }
    }

    /// <summary>Queues an already encoded frame.</summary>
    public void PublishFrame(byte[] frame)
    {
        if (!_disposed)
        {
            _queue.Post(frame);
        }
    }

    private void Send(byte[] frame)
    {
        if (!_pub.TrySendFrame(TimeSpan.Zero, frame))
        {
            if (Interlocked.Increment(ref _dropped) == 1)
            {
                LogDropped(_logger, Spec);
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
        // The poller thread is gone: this thread may now use the socket to flush what is queued.
        while (_queue.TryTake(out var frame))
        {
            Send(frame);
        }
        _poller.Dispose();
        _queue.Dispose();
        _pub.Dispose();
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "stats {Spec}: send queue full, dropping stats messages")]
    private static partial void LogDropped(ILogger logger, string spec);
}
