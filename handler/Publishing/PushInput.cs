using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// The ZeroMQ PULL input (<c>push_in_spec</c>): one frame per item. Runs its own poller thread;
/// valid items go to <paramref name="onItem"/>, garbage is logged and dropped.
/// </summary>
internal sealed partial class PushInput : IDisposable
{
    private readonly PullSocket _pull = new();
    private readonly NetMQPoller _poller = new();
    private readonly Action<PublishItem> _onItem;
    private readonly ILogger _logger;
    private Thread? _thread;

    public PushInput(string spec, Action<PublishItem> onItem, ILogger logger)
    {
        _onItem = onItem;
        _logger = logger;
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
        _pull.ReceiveReady += (_, _) => ReceiveSafely();
        _poller.Add(_pull);
    }

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "push in (PULL)" };
        _thread.Start();
    }

    // An exception escaping a poller handler would end the poller thread and silently stop
    // this input; garbage must only ever cost the message.
    private void ReceiveSafely()
    {
        try
        {
            Receive();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.Failed(_logger, ex);
        }
    }

    private void Receive()
    {
        var frames = new List<byte[]>(1);
        while (_pull.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 1))
        {
            if (frames.Count != 1)
            {
                Log.WrongParts(_logger);
                continue;
            }
            if (!PublishInputDecoder.TryDecode(frames[0], out var data, out var error))
            {
                Log.Invalid(_logger, error);
                continue;
            }
            if (!PublishItemParser.TryParse(data, null, out var item, out error))
            {
                Log.InvalidItem(_logger, error);
                continue;
            }
            _onItem(item!);
        }
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 503, Level = LogLevel.Error, Message = "IN pull: message handling failed, skipping")]
        public static partial void Failed(ILogger logger, Exception ex);

        [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "IN pull: received message with parts != 1, skipping")]
        public static partial void WrongParts(ILogger logger);

        [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "IN pull: {Error}, skipping")]
        public static partial void Invalid(ILogger logger, string error);

        [LoggerMessage(EventId = 502, Level = LogLevel.Warning, Message = "IN pull: received message with invalid format: {Error}, skipping")]
        public static partial void InvalidItem(ILogger logger, string error);
    }
}
