using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Common.WsControl;

/// <summary>
/// The two ws-control sockets of one side (internals.md §6.1), owned by one poller thread.
/// Proxy side: PUSH (init, bound) + ROUTER (stream, bound); handler side: PULL (init,
/// connected) + ROUTER (stream, connected). Both ROUTERs carry the instance id as identity.
/// </summary>
/// <remarks>
/// Sends are thread-safe (queued to the poller); received packets are decoded on the poller
/// thread and offered on <see cref="Incoming"/>; garbage is logged and dropped.
/// </remarks>
public sealed partial class WsControlTransport : IDisposable
{
    // A ROUTER peer that just connected may not be routable yet; give it a moment, then drop.
    private const int RouterRetryLimit = 40;
    private static readonly TimeSpan RouterRetryInterval = TimeSpan.FromMilliseconds(50);

    private readonly NetMQPoller _poller = new();
    private readonly PollerMailbox<(string? Peer, byte[] Data)> _outgoing;
    private readonly Channel<WsControlPacket> _incoming = Channel.CreateUnbounded<WsControlPacket>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly NetMQSocket _init;
    private readonly RouterSocket _stream = new();
    private readonly Queue<(string Peer, byte[] Data, int Attempts)> _backlog = new();
    private readonly NetMQTimer _retry = new(RouterRetryInterval);
    private readonly ILogger _logger;
    private Thread? _thread;

    /// <param name="proxySide">True: PUSH + ROUTER bound (the proxy); false: PULL + ROUTER connected (the handler).</param>
    public WsControlTransport(string instanceId, IReadOnlyList<string> initSpecs, IReadOnlyList<string> streamSpecs, bool proxySide, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        _logger = logger;
        _init = proxySide ? new PushSocket() : new PullSocket();
        try
        {
            _init.Options.SendHighWatermark = 101000;
            _init.Options.ReceiveHighWatermark = 101000;
            _stream.Options.Identity = Encoding.UTF8.GetBytes(instanceId);
            _stream.Options.RouterMandatory = true;
            _stream.Options.SendHighWatermark = 101000;
            _stream.Options.ReceiveHighWatermark = 101000;
            var side = proxySide ? "[proxy] handler_ws_control" : "[handler] proxy_ws_control";
            ZmqEndpoints.Attach(_init, initSpecs, proxySide, side + "_init_specs");
            ZmqEndpoints.Attach(_stream, streamSpecs, proxySide, side + "_stream_specs");
        }
        catch
        {
            _init.Dispose();
            _stream.Dispose();
            throw;
        }
        InstanceId = instanceId;
        if (!proxySide)
        {
            _init.ReceiveReady += (_, e) => Receive(e.Socket, router: false);
            _poller.Add(_init);
        }
        _stream.ReceiveReady += (_, e) => Receive(e.Socket, router: true);
        _poller.Add(_stream);
        _outgoing = new PollerMailbox<(string? Peer, byte[] Data)>(_poller, m => SendNow(m.Peer, m.Data));
        _retry.Enable = false;
        _retry.Elapsed += (_, _) => FlushBacklog();
        _poller.Add(_retry);
    }

    public string InstanceId { get; }

    /// <summary>Packets from either socket, in arrival order.</summary>
    public ChannelReader<WsControlPacket> Incoming => _incoming.Reader;

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "ws-control" };
        _thread.Start();
    }

    /// <summary>Sends on the init socket (proxy PUSH: the first item of a connection).</summary>
    public void SendInit(IReadOnlyList<WsControlItem> items) =>
        _outgoing.Post((null, WsControlPacketCodec.Encode(new WsControlPacket { From = InstanceId, Items = items })));

    /// <summary>Sends through the ROUTER to the peer with that identity.</summary>
    public void SendTo(string peer, IReadOnlyList<WsControlItem> items) =>
        _outgoing.Post((peer, WsControlPacketCodec.Encode(new WsControlPacket { From = InstanceId, Items = items })));

    private void SendNow(string? peer, byte[] data)
    {
        if (peer is null)
        {
            // PUSH with no handler connected blocks; never stall the poller: drop with a log line.
            if (!_init.TrySendFrame(TimeSpan.Zero, data))
            {
                Log.InitDropped(_logger);
            }
            return;
        }
        if (_backlog.Count > 0 || !TrySendRouter(peer, data))
        {
            _backlog.Enqueue((peer, data, 0));
            _retry.Enable = true;
        }
    }

    private bool TrySendRouter(string peer, byte[] data)
    {
        try
        {
            var msg = new NetMQMessage(3);
            msg.Append(Encoding.UTF8.GetBytes(peer));
            msg.AppendEmptyFrame();
            msg.Append(data);
            return _stream.TrySendMultipartMessage(TimeSpan.Zero, msg);
        }
        catch (HostUnreachableException)
        {
            return false;
        }
    }

    private void FlushBacklog()
    {
        while (_backlog.Count > 0)
        {
            var (peer, data, attempts) = _backlog.Peek();
            if (TrySendRouter(peer, data))
            {
                _backlog.Dequeue();
                continue;
            }
            _backlog.Dequeue();
            if (attempts + 1 < RouterRetryLimit)
            {
                // Keep the order: retry this one first next time.
                var rest = _backlog.ToArray();
                _backlog.Clear();
                _backlog.Enqueue((peer, data, attempts + 1));
                foreach (var r in rest)
                {
                    _backlog.Enqueue(r);
                }
                return;
            }
            Log.Unreachable(_logger, peer);
        }
        _retry.Enable = false;
    }

    private void Receive(NetMQSocket socket, bool router)
    {
        var frames = new List<byte[]>(3);
        while (socket.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 3))
        {
            try
            {
                // ROUTER: [peer, "", packet]; PULL: [packet].
                var payload = frames[^1];
                if ((router && frames.Count < 2) || payload.Length == 0)
                {
                    Log.Malformed(_logger, "unexpected frames");
                    continue;
                }
                if (!WsControlPacketCodec.TryDecode(payload, out var packet, out var error))
                {
                    Log.Malformed(_logger, error ?? "?");
                    continue;
                }
                _incoming.Writer.TryWrite(packet!);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.Malformed(_logger, ex.Message);
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
        _init.Dispose();
        _stream.Dispose();
        _outgoing.Dispose();
        _incoming.Writer.TryComplete();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "ws-control: received malformed packet ({Error}), skipping")]
        public static partial void Malformed(ILogger logger, string error);

        [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "ws-control: peer {Peer} unreachable, item dropped")]
        public static partial void Unreachable(ILogger logger, string peer);

        [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "ws-control: no handler connected on the init socket, item dropped")]
        public static partial void InitDropped(ILogger logger);
    }
}
