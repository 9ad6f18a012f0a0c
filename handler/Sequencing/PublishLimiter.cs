namespace Pushpin.Handler.Sequencing;

/// <summary>
/// Caps deliveries per second (<c>message_rate</c>) and queued delivery weight per key
/// (<c>message_hwm</c>), keys being route stats ids (upstream's RateLimiter). A token bucket
/// refilled on the engine tick; keys take turns so one busy route cannot starve another.
/// Engine-thread only. Unlimited rate runs deliveries at once (nothing ever queues).
/// </summary>
/// <remarks>
/// A delivery is a value (<typeparamref name="T"/>) handed to one run callback fixed at
/// construction, so passing one through allocates nothing (no closure per delivery).
/// </remarks>
internal sealed class PublishLimiter<T>
    where T : struct
{
    private readonly Action<T> _run;
    private readonly int _rate;
    private readonly int _hwm;
    private readonly double _burst;
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private int _next;
    private double _tokens;
    private long _lastRefillMs = -1;

    /// <param name="rate">Deliveries per second; 0 or less = unlimited.</param>
    /// <param name="hwm">Most queued weight per key; 0 or less = unlimited.</param>
    /// <param name="tickMs">How often <see cref="Process"/> runs; the bucket holds one tick's worth.</param>
    /// <param name="run">Performs one delivery (now, or when the rate allows).</param>
    public PublishLimiter(int rate, int hwm, Action<T> run, int tickMs = 100)
    {
        _run = run;
        _rate = rate;
        _hwm = hwm;
        _burst = Math.Max(1, rate * tickMs / 1000.0);
        _tokens = _burst;
    }

    public bool Unlimited => _rate <= 0;

    /// <summary>Queued weight over all keys.</summary>
    public long QueuedWeight { get; private set; }

    /// <summary>Runs or queues <paramref name="delivery"/>; false when the key's hwm would be exceeded (the caller logs and counts).</summary>
    public bool TryAdd(string key, int weight, T delivery, long nowMs)
    {
        if (Unlimited)
        {
            _run(delivery);
            return true;
        }
        Refill(nowMs);
        if (QueuedWeight == 0 && _tokens >= weight)
        {
            _tokens -= weight;
            _run(delivery);
            return true;
        }
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            bucket = new Bucket();
            _buckets[key] = bucket;
            _order.Add(key);
        }
        if (_hwm > 0 && bucket.Weight + weight > _hwm)
        {
            return false;
        }
        bucket.Deliveries.Enqueue((delivery, weight));
        bucket.Weight += weight;
        QueuedWeight += weight;
        return true;
    }

    /// <summary>Runs queued deliveries the rate allows, one per key in turn.</summary>
    public void Process(long nowMs)
    {
        if (Unlimited || QueuedWeight == 0)
        {
            return;
        }
        Refill(nowMs);
        while (QueuedWeight > 0 && _tokens >= 1)
        {
            if (_next >= _order.Count)
            {
                _next = 0;
            }
            var key = _order[_next];
            var bucket = _buckets[key];
            var (delivery, weight) = bucket.Deliveries.Dequeue();
            bucket.Weight -= weight;
            QueuedWeight -= weight;
            _tokens -= weight;
            if (bucket.Deliveries.Count == 0)
            {
                _buckets.Remove(key);
                _order.RemoveAt(_next);
            }
            else
            {
                _next++;
            }
            _run(delivery);
        }
    }

    private void Refill(long nowMs)
    {
        if (_lastRefillMs >= 0)
        {
            _tokens = Math.Min(_burst, _tokens + (_rate * (nowMs - _lastRefillMs) / 1000.0));
        }
        _lastRefillMs = nowMs;
    }

    private sealed class Bucket
    {
        public Queue<(T Delivery, int Weight)> Deliveries { get; } = new();

        public long Weight { get; set; }
    }
}
