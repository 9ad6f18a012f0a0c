using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Common.Zhttp;

/// <summary>
/// The three sockets of one side of zhttp stream mode, owned by one poller thread.
/// Other threads hand packets over through a <see cref="PollerMailbox{T}"/>; received packets
/// are decoded on the poller thread and offered on <see cref="Incoming"/>. Malformed input is
/// logged and dropped, never thrown.
/// </summary>
public abstract partial class ZhttpSocketSet : IDisposable
{
    // Upstream's HWM for stream sockets (internals.md §2.4).
    protected const int StreamHighWatermark = 101000;

    // A ROUTER peer may need a moment after connecting before it is routable; retry like connmgr.
    private static readonly TimeSpan RouterRetryInterval = TimeSpan.FromMilliseconds(50);
    private const int RouterRetryLimit = 40;

    private readonly NetMQPoller _poller = new();
    private readonly PollerMailbox<Outgoing> _outgoing;
    private readonly Channel<ZhttpPacket> _incoming = Channel.CreateUnbounded<ZhttpPacket>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Queue<BacklogEntry> _routerBacklog = new();
    private readonly NetMQTimer _routerRetry = new(RouterRetryInterval);
    private readonly byte[] _subscriptionPrefix;
    private Thread? _thread;
    private bool _disposed;

    protected ZhttpSocketSet(string instanceId, ILogger logger)
    {
        InstanceId = instanceId;
        Logger = logger;
        _subscriptionPrefix = Encoding.Latin1.GetBytes(instanceId + " ");
        _outgoing = new PollerMailbox<Outgoing>(_poller, SendNow);
        _routerRetry.Enable = false;
        _routerRetry.Elapsed += (_, _) => FlushRouterBacklog();
        _poller.Add(_routerRetry);
    }

    public string InstanceId { get; }

    protected ILogger Logger { get; }

    /// <summary>Packets received on any of the sockets, in arrival order.</summary>
    public ChannelReader<ZhttpPacket> Incoming => _incoming.Reader;

    /// <summary>
    /// When set (before <see cref="Start"/>), received packets go to this callback on the poller
    /// thread instead of <see cref="Incoming"/>: one thread hop (a thread-pool wake-up) less per
    /// packet. The callback must be quick and never block (a dictionary lookup and a channel write).
    /// </summary>
    public Action<ZhttpPacket>? OnReceived { get; set; }

    protected NetMQPoller Poller => _poller;

    protected abstract NetMQSocket? InitialSocket { get; }

    protected abstract RouterSocket StreamSocket { get; }

    protected abstract NetMQSocket? ReplySocket { get; }

    /// <summary>Starts the poller thread. Sockets are bound/connected by the constructor.</summary>
    public void Start()
    {
        if (InitialSocket is PullSocket pull)
        {
            pull.ReceiveReady += (_, e) => ReceiveSingle(e.Socket);
            _poller.Add(pull);
        }
        StreamSocket.ReceiveReady += (_, e) => ReceiveRouter(e.Socket);
        _poller.Add(StreamSocket);
        if (ReplySocket is SubscriberSocket sub)
        {
            sub.ReceiveReady += (_, e) => ReceiveSubscribed(e.Socket);
            _poller.Add(sub);
        }
        if (InitialSocket is PushSocket push)
        {
            _poller.Add(push);
        }
        if (ReplySocket is PublisherSocket pub)
        {
            _poller.Add(pub);
        }
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = $"zhttp {GetType().Name}" };
        _thread.Start();
    }

    /// <summary>
    /// Waits until every queued packet went to its socket (ROUTER backlog included), at most
    /// <paramref name="timeout"/>; for a clean stop before <see cref="Dispose"/> (the sockets'
    /// linger then covers the wire). Returns false on timeout.
    /// </summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!_outgoing.IsEmpty || _routerBacklog.Count > 0)
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }
            await Task.Delay(10).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Queues a packet for the ROUTER, addressed to <paramref name="peerId"/>.</summary>
    public void SendToRouter(string peerId, ZhttpPacket packet) =>
        _outgoing.Post(new Outgoing(OutgoingKind.Router, peerId, ZhttpCodec.Encode(packet), packet.Id));

    protected void EnqueueInitial(ZhttpPacket packet) =>
        _outgoing.Post(new Outgoing(OutgoingKind.Initial, null, ZhttpCodec.Encode(packet), packet.Id));

    /// <summary>Encodes <c>"&lt;peer-id&gt; T..."</c> as the one frame a PUB sends, in a single buffer.</summary>
    protected void EnqueuePublish(string peerId, ZhttpPacket packet)
    {
        using var writer = new TNetStrings.TnetStringWriter();
        Span<byte> topic = peerId.Length < 256 ? stackalloc byte[peerId.Length + 1] : new byte[peerId.Length + 1];
        Encoding.Latin1.GetBytes(peerId, topic);
        topic[^1] = (byte)' ';
        writer.WriteRaw(topic);
        ZhttpCodec.Encode(packet, writer);
        _outgoing.Post(new Outgoing(OutgoingKind.Publish, peerId, writer.ToArray(), packet.Id));
    }

    /// <summary>Posts a locally made packet to <see cref="Incoming"/> (e.g. a send failure).</summary>
    protected void Deliver(ZhttpPacket packet)
    {
        if (OnReceived is not { } callback)
        {
            _incoming.Writer.TryWrite(packet);
            return;
        }
        try
        {
            callback(packet);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The poller thread must survive a consumer's bug.
            LogCallbackFailed(Logger, ex);
        }
    }

    private void SendNow(Outgoing message)
    {
        switch (message.Kind)
        {
            case OutgoingKind.Initial:
                if (InitialSocket is null || !InitialSocket.TrySendFrame(TimeSpan.Zero, message.Payload))
                {
                    // Nobody to take it (no responder connected, or HWM reached): fail the session locally.
                    LogInitialUndeliverable(Logger, message.SessionId);
                    Deliver(new ZhttpPacket { Type = ZhttpPacketType.Error, Id = message.SessionId, Condition = "service-unavailable" });
                }
                break;
            case OutgoingKind.Router:
                if (_routerBacklog.Count > 0 || !TrySendRouter(message))
                {
                    _routerBacklog.Enqueue(new BacklogEntry(message));
                    _routerRetry.Enable = true;
                }
                break;
            case OutgoingKind.Publish:
                if (ReplySocket is PublisherSocket pub)
                {
                    // The payload already starts with the "<peer-id> " topic.
                    pub.TrySendFrame(TimeSpan.Zero, message.Payload);
                }
                break;
        }
    }

    private bool TrySendRouter(Outgoing message)
    {
        try
        {
            var id = Encoding.Latin1.GetBytes(message.PeerId!);
            if (!StreamSocket.TrySendFrame(TimeSpan.Zero, id, more: true))
            {
                return false;
            }
            StreamSocket.SendMoreFrameEmpty();
            StreamSocket.SendFrame(message.Payload);
            return true;
        }
        catch (HostUnreachableException)
        {
            return false;
        }
    }

    private void FlushRouterBacklog()
    {
        // Packets leave in order: stop at the first that still cannot go.
        while (_routerBacklog.TryPeek(out var entry))
        {
            if (TrySendRouter(entry.Message))
            {
                _routerBacklog.Dequeue();
                continue;
            }
            if (++entry.Attempts < RouterRetryLimit)
            {
                break;
            }
            _routerBacklog.Dequeue();
            LogRouterUnreachable(Logger, entry.Message.PeerId!, entry.Message.SessionId);
            Deliver(new ZhttpPacket { Type = ZhttpPacketType.Error, Id = entry.Message.SessionId, Condition = "service-unavailable" });
        }
        _routerRetry.Enable = _routerBacklog.Count > 0;
    }

    private void ReceiveSingle(NetMQSocket socket)
    {
        var msg = new Msg();
        msg.InitEmpty();
        while (socket.TryReceive(ref msg, TimeSpan.Zero))
        {
            var more = msg.HasMore;
            var frame = msg.ToArray();
            // Upstream insists on one frame; drain and drop any extra ones.
            while (more && socket.TryReceive(ref msg, TimeSpan.Zero))
            {
                more = msg.HasMore;
            }
            Accept(frame);
        }
        msg.Close();
    }

    private void ReceiveRouter(NetMQSocket socket)
    {
        var frames = new List<byte[]>(3);
        while (socket.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 3))
        {
            // [routing-id..., "", payload, extra...]: the payload follows the first empty frame.
            var payloadIndex = -1;
            for (var i = 0; i < frames.Count; i++)
            {
                if (frames[i].Length == 0)
                {
                    payloadIndex = i + 1;
                    break;
                }
            }
            if (payloadIndex <= 0 || payloadIndex >= frames.Count)
            {
                LogMalformed(Logger, "ROUTER message without an envelope");
                continue;
            }
            Accept(frames[payloadIndex]);
        }
    }

    private void ReceiveSubscribed(NetMQSocket socket)
    {
        var msg = new Msg();
        msg.InitEmpty();
        while (socket.TryReceive(ref msg, TimeSpan.Zero))
        {
            var frame = msg.ToArray();
            var more = msg.HasMore;
            while (more && socket.TryReceive(ref msg, TimeSpan.Zero))
            {
                more = msg.HasMore;
            }
            if (!frame.AsSpan().StartsWith(_subscriptionPrefix))
            {
                LogMalformed(Logger, "packet not for us");
                continue;
            }
            Accept(frame.AsMemory(_subscriptionPrefix.Length));
        }
        msg.Close();
    }

    private void Accept(ReadOnlyMemory<byte> frame)
    {
        if (ZhttpCodec.TryDecode(frame, out var packet, out var error))
        {
            Deliver(packet!);
        }
        else
        {
            LogMalformed(Logger, error!);
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
        }
        _poller.Dispose();
        _outgoing.Dispose();
        DisposeSockets();
        _incoming.Writer.TryComplete();
        GC.SuppressFinalize(this);
    }

    protected abstract void DisposeSockets();

    private enum OutgoingKind
    {
        Initial,
        Router,
        Publish,
    }

    private sealed class BacklogEntry(Outgoing message)
    {
        public Outgoing Message { get; } = message;

        public int Attempts { get; set; }
    }

    private readonly record struct Outgoing(OutgoingKind Kind, string? PeerId, byte[] Payload, string? SessionId);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "zhttp: packet consumer failed")]
    private static partial void LogCallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "zhttp: dropped malformed packet: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "zhttp: no responder could take the initial packet of session {SessionId}")]
    private static partial void LogInitialUndeliverable(ILogger logger, string? sessionId);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "zhttp: peer {PeerId} unreachable, dropped packet of session {SessionId}")]
    private static partial void LogRouterUnreachable(ILogger logger, string peerId, string? sessionId);
}
