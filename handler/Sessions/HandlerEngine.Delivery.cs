using Microsoft.Extensions.Logging;
using Pushpin.Handler.Instruct;
using Pushpin.Handler.Metrics;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Sequencing;

namespace Pushpin.Handler.Sessions;

/// <summary>
/// The publish path: de-duplication and ordering (<see cref="Sequencer"/>), then deciding which
/// sessions get an item (<see cref="Deliver"/>), the rate limiter, and the one place that hands
/// an item to a session (<see cref="DeliverTo"/>).
/// </summary>
internal sealed partial class HandlerEngine
{
    private readonly PublishLastIds _lastIds = new();
    private readonly Sequencer _sequencer;
    private readonly PublishLimiter<Delivery> _limiter;

    /// <summary>The last id published per channel (what prev-ids are compared with).</summary>
    internal PublishLastIds LastIds => _lastIds;

    /// <summary>Takes published items, in order.</summary>
    public void Publish(IReadOnlyList<PublishItem> items)
    {
        foreach (var item in items)
        {
            Publish(item);
        }
    }

    public void Publish(PublishItem item)
    {
        _ctx.Counters?.PublishReceived();

        // Only sequence while someone here listens: the last id is forgotten when the channel's
        // last subscriber leaves, and must not come back before a new one arrives.
        var sequence = !item.NoSeq && _subs.Contains(item.Channel);
        _sequencer.Add(item, sequence, _ctx.NowMs);
        RemoveEnded();
    }

    /// <summary>An item leaves the sequencer: every session on its channel with a matching format gets it.</summary>
    private void Deliver(PublishItem item)
    {
        var largestBlocks = item.Size >= 0 ? BlocksFor(item.Size) : Math.Max(BlocksFor(item.HttpResponse), BlocksFor(item.HttpStream));
        Stats?.AddMessageReceived(null, largestBlocks < 0 ? null : largestBlocks);
        WsSessions?.Publish(item);

        if (!_subscriptions.TryGetValue(item.Channel, out var set))
        {
            return;
        }
        long streamCount = 0, responseCount = 0;
        // One item to many sessions: the sender may merge same-body deliveries per connmgr.
        _ctx.Sender.BeginFanout();
        try
        {
            DeliverToSet(set, item, ref streamCount, ref responseCount);
        }
        finally
        {
            _ctx.Sender.EndFanout();
        }
        // One message packet per transport that had receivers, as upstream.
        if (streamCount > 0)
        {
            var blocks = BlocksFor(item.Size >= 0 ? item.Size : item.HttpStream!.Body.Length);
            Stats?.AddMessage(item.Channel, item.Id, TransportName(HoldMode.Stream), streamCount, blocks < 0 ? null : blocks * streamCount);
        }
        if (responseCount > 0)
        {
            var blocks = BlocksFor(item.Size >= 0 ? item.Size : item.HttpResponse!.Body.Length);
            Stats?.AddMessage(item.Channel, item.Id, TransportName(HoldMode.Response), responseCount, blocks < 0 ? null : blocks * responseCount);
        }
    }

    private void DeliverToSet(HashSet<HttpSession> set, PublishItem item, ref long streamCount, ref long responseCount)
    {
        foreach (var session in set)
        {
            var format = session.Mode == HoldMode.Response ? item.HttpResponse : item.HttpStream;
            if (format is null)
            {
                continue;
            }
            var blocks = item.Size >= 0 ? BlocksFor(item.Size) : BlocksFor(format);
            var route = _origins.TryGetValue(session, out var origin) ? origin.Route : null;
            if (_limiter.Unlimited)
            {
                DeliverTo(session, item);
            }
            else if (!_limiter.TryAdd(route ?? string.Empty, Math.Max(blocks, 1), new Delivery(session, item), _ctx.NowMs))
            {
                _ctx.Counters?.Dropped(DropReason.Hwm);
                Log.HwmExceeded(_ctx.Logger, _options.MessageHwm, route ?? string.Empty);
            }
            if (Stats is not null)
            {
                Stats.AddMessageSent(route, TransportName(session.Mode), blocks < 0 ? null : blocks);
                if (session.Mode == HoldMode.Response)
                {
                    responseCount++;
                }
                else
                {
                    streamCount++;
                }
            }
        }
    }

    /// <summary>The single hand-off of one item to one session (filters and sequencing per session run inside it).</summary>
    private void DeliverTo(HttpSession session, PublishItem item)
    {
        if (session.Finished)
        {
            return;
        }
        session.Publish(item);
        if (session.Finished)
        {
            _ended.Add(session);
        }
    }

    /// <summary>One item for one session, as the limiter holds it (a value: nothing allocated per delivery).</summary>
    private readonly record struct Delivery(HttpSession Session, PublishItem Item);

    /// <summary>Timers of the publish path: items that waited long enough, rate-limited deliveries.</summary>
    private void TickDelivery(long now)
    {
        _sequencer.Expire(now);
        _limiter.Process(now);
        RemoveEnded();
    }

    private int BlocksFor(PublishFormat? format) => format is null ? -1 : BlocksFor(format.Body.Length);

    private int BlocksFor(int size) => _options.MessageBlockSize <= 0 ? -1 : (size + _options.MessageBlockSize - 1) / _options.MessageBlockSize;

    private static partial class Log
    {
        [LoggerMessage(EventId = 420, Level = LogLevel.Warning, Message = "exceeded publish hwm ({Hwm}) for route '{Route}', dropping message")]
        public static partial void HwmExceeded(ILogger logger, int hwm, string route);
    }
}
