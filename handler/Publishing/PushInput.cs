using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// The ZeroMQ PULL input (<c>push_in_spec</c>): one frame per item. Runs its own poller thread;
/// valid items go to <paramref name="onItem"/>, garbage is logged and dropped.
/// </summary>
internal sealed class PushInput : IDisposable
{
    private readonly PullSocket _pull = new();
    private readonly NetMQPoller _poller = new();
    private Thread? _thread;

    public PushInput(string spec, Action<PublishItem> onItem, ILogger logger)
    {
        _pull.Options.ReceiveHighWatermark = 1000;
        try
        {
            ZmqEndpoints.Attach(_pull, [spec], bind: true, "[handler] push_in_spec (PULL)");
        }
        catch
        {
            _pull.Dispose();
            throw;
        }
        var reader = new PublishMessageReader(_pull, topicFrame: false, onItem, logger, "pull");
        _pull.ReceiveReady += (_, _) => reader.ReceiveAll();
        _poller.Add(_pull);
    }

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "push in (PULL)" };
        _thread.Start();
    }

    public void Dispose()
    {
        if (_thread is not null)
        {
            _poller.Stop();
        }
        _poller.Dispose();
        _pull.Dispose();
    }
}
