using System.Text;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Transport;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// The ZeroMQ SUB input (<c>push_in_sub_specs</c>): two frames <c>[channel, item]</c>; the topic
/// frame overrides the item's channel. The socket subscribes to exactly the channels that have
/// local subscribers, so XPUB publishers see who listens. Runs its own poller thread; the
/// engine changes subscriptions through <see cref="SetSubscribed"/>.
/// </summary>
internal sealed partial class SubInput : IDisposable
{
    private readonly SubscriberSocket _sub = new();
    private readonly NetMQPoller _poller = new();
    private readonly NetMQQueue<(string Channel, bool Subscribe)> _changes = new();
    private readonly Action<PublishItem> _onItem;
    private readonly ILogger _logger;
    private Thread? _thread;

    public SubInput(IReadOnlyList<string> specs, bool connect, Action<PublishItem> onItem, ILogger logger)
    {
        _onItem = onItem;
        _logger = logger;
        _sub.Options.ReceiveHighWatermark = 1000;
        // Subscription updates must never be dropped.
        _sub.Options.SendHighWatermark = 0;
        if (connect)
        {
            _sub.Options.TcpKeepalive = true;
            _sub.Options.TcpKeepaliveIdle = TimeSpan.FromSeconds(30);
            _sub.Options.TcpKeepaliveInterval = TimeSpan.FromSeconds(5);
        }
        try
        {
            ZmqEndpoints.Attach(_sub, specs, bind: !connect, "[handler] push_in_sub_specs (SUB)");
        }
        catch
        {
            _sub.Dispose();
            throw;
        }
        _sub.ReceiveReady += (_, _) => ReceiveSafely();
        _changes.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var change, TimeSpan.Zero))
            {
                var topic = Encoding.UTF8.GetBytes(change.Channel);
                if (change.Subscribe)
                {
                    _sub.Subscribe(topic);
                }
                else
                {
                    _sub.Unsubscribe(topic);
                }
            }
        };
        _poller.Add(_sub);
        _poller.Add(_changes);
    }

    public void Start()
    {
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "push in (SUB)" };
        _thread.Start();
    }

    /// <summary>Called from any thread when a channel gains its first or loses its last subscriber.</summary>
    public void SetSubscribed(string channel, bool subscribed) => _changes.Enqueue((channel, subscribed));

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
        var frames = new List<byte[]>(2);
        while (_sub.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 2))
        {
            if (frames.Count != 2)
            {
                Log.WrongParts(_logger);
                continue;
            }
            if (!PublishInputDecoder.TryDecode(frames[1], out var data, out var error))
            {
                Log.Invalid(_logger, error);
                continue;
            }
            var channel = Encoding.UTF8.GetString(frames[0]);
            if (!PublishItemParser.TryParse(data, channel, out var item, out error))
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
        _changes.Dispose();
        _sub.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 513, Level = LogLevel.Error, Message = "IN sub: message handling failed, skipping")]
        public static partial void Failed(ILogger logger, Exception ex);

        [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "IN sub: received message with parts != 2, skipping")]
        public static partial void WrongParts(ILogger logger);

        [LoggerMessage(EventId = 511, Level = LogLevel.Warning, Message = "IN sub: {Error}, skipping")]
        public static partial void Invalid(ILogger logger, string error);

        [LoggerMessage(EventId = 512, Level = LogLevel.Warning, Message = "IN sub: received message with invalid format: {Error}, skipping")]
        public static partial void InvalidItem(ILogger logger, string error);
    }
}
