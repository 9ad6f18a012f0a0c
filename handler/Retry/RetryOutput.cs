using System.Text;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Handler.Retry;

/// <summary>
/// The retry socket (<c>[handler] proxy_retry_out_specs</c>): a ROUTER that connects to each
/// proxy's retry ROUTER and sends <c>[proxy-id, "", packet]</c>. Router-mandatory, so a packet
/// for a proxy that is not connected fails at once and the engine keeps the session instead
/// of losing it. Owned by its own poller thread; <see cref="SendAsync"/> is thread-safe.
/// </summary>
internal sealed partial class RetryOutput : IDisposable
{
    private readonly RouterSocket _router = new();
    private readonly NetMQPoller _poller = new();
    private readonly NetMQQueue<(byte[] To, byte[] Packet, TaskCompletionSource<bool> Done)> _outgoing = new();
    private readonly ILogger _logger;
    private Thread? _thread;

    public RetryOutput(IReadOnlyList<string> specs, string identity, ILogger logger)
    {
        _logger = logger;
        _router.Options.Identity = Encoding.Latin1.GetBytes(identity);
        _router.Options.RouterMandatory = true;
        _router.Options.Linger = TimeSpan.FromMilliseconds(500);
        try
        {
            ZmqEndpoints.Attach(_router, specs, bind: false, "[handler] proxy_retry_out_specs");
        }
        catch
        {
            _router.Dispose();
            throw;
        }
        _outgoing.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var item, TimeSpan.Zero))
            {
                var message = new NetMQMessage(3);
                message.Append(item.To);
                message.AppendEmptyFrame();
                message.Append(item.Packet);
                bool sent;
                try
                {
                    sent = _router.TrySendMultipartMessage(TimeSpan.Zero, message);
                }
                catch (HostUnreachableException)
                {
                    sent = false;
                }
                if (!sent)
                {
                    LogUnreachable(_logger, Encoding.Latin1.GetString(item.To));
                }
                item.Done.TrySetResult(sent);
            }
        };
        _poller.Add(_outgoing);
    }

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "handler retry" };
        _thread.Start();
    }

    /// <summary>Queues a packet for <paramref name="proxyId"/>; true once the socket took it.</summary>
    public Task<bool> SendAsync(string proxyId, byte[] packet)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _outgoing.Enqueue((Encoding.Latin1.GetBytes(proxyId), packet, done));
        return done.Task;
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
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Warning, Message = "retry: no proxy '{Proxy}' on the retry socket; packet not sent")]
    private static partial void LogUnreachable(ILogger logger, string proxy);
}
