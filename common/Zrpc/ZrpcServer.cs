using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Transport;

namespace Pushpin.Common.Zrpc;

/// <summary>
/// A zrpc server on a ROUTER socket (REQ- and DEALER-compatible), owned by its own poller
/// thread. Requests arrive on <see cref="Calls"/>; replies may be sent from any thread.
/// Malformed requests are logged and answered with <c>bad-format</c> when they carry an id.
/// </summary>
public sealed partial class ZrpcServer : IDisposable
{
    private readonly RouterSocket _router = new();
    private readonly NetMQPoller _poller = new();
    private readonly PollerMailbox<(byte[][] Envelope, byte[] Payload)> _outgoing;
    private readonly Channel<ZrpcCall> _calls = Channel.CreateUnbounded<ZrpcCall>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ILogger _logger;
    private Thread? _thread;

    public ZrpcServer(IReadOnlyList<string> specs, bool bind, ILogger logger, string what = "zrpc server", string? identity = null)
    {
        _logger = logger;
        if (identity is not null)
        {
            _router.Options.Identity = System.Text.Encoding.Latin1.GetBytes(identity);
        }
        _router.Options.ReceiveHighWatermark = 100;
        _router.Options.Linger = TimeSpan.FromMilliseconds(500);
        try
        {
            ZmqEndpoints.Attach(_router, specs, bind, what);
        }
        catch
        {
            _router.Dispose();
            throw;
        }
        _router.ReceiveReady += (_, _) => Receive();
        _outgoing = new PollerMailbox<(byte[][] Envelope, byte[] Payload)>(_poller, item =>
        {
            var message = new NetMQMessage(item.Envelope.Length + 2);
            foreach (var frame in item.Envelope)
            {
                message.Append(frame);
            }
            message.AppendEmptyFrame();
            message.Append(item.Payload);
            try
            {
                _router.TrySendMultipartMessage(TimeSpan.Zero, message);
            }
            catch (HostUnreachableException)
            {
                // The caller went away; nothing to do.
            }
        });
        _poller.Add(_router);
    }

    public ChannelReader<ZrpcCall> Calls => _calls.Reader;

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "zrpc server" };
        _thread.Start();
    }

    internal void Reply(byte[][] envelope, ZrpcResponse response) => _outgoing.Post((envelope, response.Encode()));

    private void Receive()
    {
        var frames = new List<byte[]>(3);
        while (_router.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 3))
        {
            var empty = frames.FindIndex(f => f.Length == 0);
            if (empty <= 0 || empty + 1 >= frames.Count)
            {
                LogMalformed(_logger, "message without an envelope");
                continue;
            }
            var envelope = frames.GetRange(0, empty).ToArray();
            var payload = frames[empty + 1];
            ZrpcRequest request;
            try
            {
                request = ZrpcRequest.Decode(payload);
            }
            catch (TnetStringException ex)
            {
                LogMalformed(_logger, ex.Message);
                var id = TryGetId(payload);
                if (id is not null)
                {
                    Reply(envelope, ZrpcResponse.Fail(id, "bad-format"));
                }
                continue;
            }
            _calls.Writer.TryWrite(new ZrpcCall(this, envelope, request));
        }
    }

    private static string? TryGetId(byte[] payload)
    {
        try
        {
            return TnetString.ParseDictionary(payload).GetString("id");
        }
        catch (TnetStringException)
        {
            return null;
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
        _router.Dispose();
        _calls.Writer.TryComplete();
    }

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "zrpc: dropped malformed request: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string reason);
}
