using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Transport;

namespace Pushpin.Common.Zrpc;

/// <summary>
/// A zrpc client on a DEALER socket (bound or connected), owned by its own poller thread.
/// Calls from any thread; each completes with the peer's response or a local failure
/// (<c>timeout</c>, <c>service-unavailable</c>) that never went over the wire.
/// </summary>
public sealed partial class ZrpcClient : IDisposable
{
    private readonly DealerSocket _dealer = new();
    private readonly NetMQPoller _poller = new();
    private readonly PollerMailbox<byte[]> _outgoing;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ZrpcResponse>> _pending = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly string _from;
    private long _nextId;
    private Thread? _thread;

    public ZrpcClient(string from, IReadOnlyList<string> specs, bool bind, ILogger logger, string what = "zrpc client")
    {
        _from = from;
        _logger = logger;
        // Upstream uses 100, but a burst of new holds (hundreds of accepts at once) must queue,
        // not fail; a missing peer still fails at once (nothing to queue to), and a slow one
        // is bounded by the call timeout.
        _dealer.Options.SendHighWatermark = 10000;
        _dealer.Options.Linger = TimeSpan.Zero;
        try
        {
            ZmqEndpoints.Attach(_dealer, specs, bind, what);
        }
        catch
        {
            _dealer.Dispose();
            throw;
        }
        _outgoing = new PollerMailbox<byte[]>(_poller, SendNow);
        _dealer.ReceiveReady += (_, _) => Receive();
        _poller.Add(_dealer);
    }

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "zrpc client" };
        _thread.Start();
    }

    /// <summary>Calls <paramref name="method"/> and waits up to <paramref name="timeout"/> for the answer.</summary>
    public async Task<ZrpcResponse> CallAsync(string method, Dictionary<string, object?>? args, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var tcs = new TaskCompletionSource<ZrpcResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        _outgoing.Post(new ZrpcRequest { From = _from, Id = id, Method = method, Args = args }.Encode());
        try
        {
            return await tcs.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return ZrpcResponse.Fail(id, "timeout");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Sends a request that expects no reply (no id).</summary>
    public void Notify(string method, Dictionary<string, object?>? args) =>
        _outgoing.Post(new ZrpcRequest { From = _from, Method = method, Args = args }.Encode());

    private void SendNow(byte[] payload)
    {
        if (!_dealer.TrySendFrameEmpty(TimeSpan.Zero, more: true))
        {
            FailLocally(payload);
            return;
        }
        _dealer.SendFrame(payload);
    }

    private void FailLocally(byte[] payload)
    {
        try
        {
            var id = ZrpcRequest.Decode(payload).Id;
            if (id is not null && _pending.TryRemove(id, out var tcs))
            {
                tcs.TrySetResult(ZrpcResponse.Fail(id, "service-unavailable"));
            }
        }
        catch (TnetStringException)
        {
            // Our own encoding; cannot happen.
        }
    }

    private void Receive()
    {
        var frames = new List<byte[]>(2);
        while (_dealer.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 2))
        {
            var payload = frames.Count >= 2 && frames[0].Length == 0 ? frames[1] : frames[^1];
            try
            {
                var response = ZrpcResponse.Decode(payload);
                if (response.Id is not null && _pending.TryRemove(response.Id, out var tcs))
                {
                    tcs.TrySetResult(response);
                }
            }
            catch (TnetStringException ex)
            {
                LogMalformed(_logger, ex.Message);
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
        foreach (var (_, tcs) in _pending)
        {
            tcs.TrySetResult(ZrpcResponse.Fail(null, "service-unavailable"));
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "zrpc: dropped malformed response: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string reason);
}
