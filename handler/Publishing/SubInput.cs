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
internal sealed class SubInput : IDisposable
{
    private readonly SubscriberSocket _sub = new();
    private readonly NetMQPoller _poller = new();
    private readonly NetMQQueue<(string Channel, bool Subscribe)> _changes = new();
    private Thread? _thread;

    public SubInput(IReadOnlyList<string> specs, bool connect, Action<PublishItem> onItem, ILogger logger)
    {
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
        var reader = new PublishMessageReader(_sub, topicFrame: true, onItem, logger, "sub");
        _sub.ReceiveReady += (_, _) => reader.ReceiveAll();
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
}
