using Microsoft.Extensions.Logging;
using Pushpin.Handler.Metrics;
using Pushpin.Handler.Publishing;

namespace Pushpin.Handler.Sequencing;

/// <summary>
/// Handler-wide de-duplication and ordering (upstream's Sequencer): drops a (channel, id) seen
/// within <see cref="IdCacheTtlSeconds"/>; for sequenced items whose prev-id does not follow the
/// channel's last id, holds them (100 per channel, one per prev-id) until the gap is filled or
/// <see cref="WaitMs"/> passes. Engine-thread only; time comes from the caller.
/// </summary>
internal sealed partial class Sequencer(PublishLastIds lastIds, Action<PublishItem> itemReady, ILogger logger, HandlerCounters? counters = null)
{
    public const int ChannelPendingMax = 100;

    private readonly Dictionary<(string Channel, string Id), long> _idCache = [];
    private readonly Queue<(long Expires, (string Channel, string Id) Key)> _idExpiry = new();
    private readonly Dictionary<string, Dictionary<string, (long Time, PublishItem Item)>> _pending = new(StringComparer.Ordinal);
    private int _pendingCount;

    /// <summary><c>message_wait</c>: how long an out-of-order item waits for its predecessor.</summary>
    public int WaitMs { get; init; } = 5000;

    /// <summary><c>id_cache_ttl</c>; 0 = off.</summary>
    public int IdCacheTtlSeconds { get; init; }

    public int PendingCount => _pendingCount;

    /// <summary>Takes a published item; <paramref name="sequence"/> is false for no-seq items and channels nobody here listens to.</summary>
    public void Add(PublishItem item, bool sequence, long nowMs)
    {
        while (_idExpiry.Count > 0 && _idExpiry.Peek().Expires <= nowMs)
        {
            var (expires, key) = _idExpiry.Dequeue();
            if (_idCache.TryGetValue(key, out var e) && e == expires)
            {
                _idCache.Remove(key);
            }
        }
        if (item.Id is not null && IdCacheTtlSeconds > 0)
        {
            var key = (item.Channel, item.Id);
            if (_idCache.ContainsKey(key))
            {
                counters?.Dropped(DropReason.Duplicate);
                Log.Duplicate(logger, item.Channel, item.Id);
                return;
            }
            var expires = nowMs + (IdCacheTtlSeconds * 1000L);
            _idCache[key] = expires;
            _idExpiry.Enqueue((expires, key));
        }

        if (!sequence)
        {
            itemReady(item);
            return;
        }

        var lastId = lastIds.Get(item.Channel);
        if (lastId is not null && item.PrevId is not null && lastId != item.PrevId)
        {
            if (!_pending.TryGetValue(item.Channel, out var byPrevId))
            {
                byPrevId = new Dictionary<string, (long, PublishItem)>(StringComparer.Ordinal);
                _pending[item.Channel] = byPrevId;
            }
            if (byPrevId.ContainsKey(item.PrevId))
            {
                counters?.Dropped(DropReason.SequencerOverflow);
                Log.PendingDuplicate(logger, item.Channel, item.PrevId);
                return;
            }
            if (byPrevId.Count >= ChannelPendingMax)
            {
                counters?.Dropped(DropReason.SequencerOverflow);
                Log.PendingFull(logger, item.Channel);
                return;
            }
            byPrevId[item.PrevId] = (nowMs, item);
            _pendingCount++;
            return;
        }

        Send(item);
    }

    /// <summary>Delivers items that waited longer than <see cref="WaitMs"/>, oldest first.</summary>
    public void Expire(long nowMs)
    {
        if (_pendingCount == 0)
        {
            return;
        }
        var threshold = nowMs - WaitMs;
        List<(long Time, PublishItem Item)>? due = null;
        foreach (var byPrevId in _pending.Values)
        {
            foreach (var entry in byPrevId.Values)
            {
                if (entry.Time <= threshold)
                {
                    (due ??= []).Add(entry);
                }
            }
        }
        if (due is null)
        {
            return;
        }
        due.Sort((a, b) => a.Time.CompareTo(b.Time));
        foreach (var (_, item) in due)
        {
            // An earlier release in this pass may have sent it already.
            if (_pending.TryGetValue(item.Channel, out var byPrevId) && byPrevId.TryGetValue(item.PrevId!, out var e) && ReferenceEquals(e.Item, item))
            {
                RemovePending(item.Channel, byPrevId, item.PrevId!);
                Log.TimedOut(logger, item.Channel, item.Id ?? string.Empty);
                Send(item);
            }
        }
    }

    /// <summary>Forgets what waits on a channel (its last subscriber left).</summary>
    public void ClearChannel(string channel)
    {
        if (_pending.Remove(channel, out var byPrevId))
        {
            _pendingCount -= byPrevId.Count;
        }
    }

    private void Send(PublishItem item)
    {
        SetLastId(item);
        itemReady(item);

        // Release whatever was waiting on this one, in chain order.
        if (!_pending.TryGetValue(item.Channel, out var byPrevId))
        {
            return;
        }
        var id = item.Id;
        while (id is not null && byPrevId.Remove(id, out var next))
        {
            _pendingCount--;
            SetLastId(next.Item);
            itemReady(next.Item);
            id = next.Item.Id;
        }
        if (byPrevId.Count == 0)
        {
            _pending.Remove(item.Channel);
        }
    }

    private void RemovePending(string channel, Dictionary<string, (long, PublishItem)> byPrevId, string prevId)
    {
        byPrevId.Remove(prevId);
        _pendingCount--;
        if (byPrevId.Count == 0)
        {
            _pending.Remove(channel);
        }
    }

    private void SetLastId(PublishItem item)
    {
        if (item.Id is not null)
        {
            lastIds.Set(item.Channel, item.Id);
        }
        else
        {
            lastIds.Remove(item.Channel);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Debug, Message = "sequencer: already seen id [{Id}] on channel [{Channel}] within id_cache_ttl, dropping")]
        public static partial void Duplicate(ILogger logger, string channel, string id);

        [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "sequencer: already have item for channel [{Channel}] depending on prev-id [{PrevId}], dropping")]
        public static partial void PendingDuplicate(ILogger logger, string channel, string prevId);

        [LoggerMessage(EventId = 502, Level = LogLevel.Warning, Message = "sequencer: too many pending items for channel [{Channel}], dropping")]
        public static partial void PendingFull(ILogger logger, string channel);

        [LoggerMessage(EventId = 503, Level = LogLevel.Debug, Message = "sequencer: timing out item channel=[{Channel}] id=[{Id}]")]
        public static partial void TimedOut(ILogger logger, string channel, string id);
    }
}
