using System.Diagnostics;

namespace Pushpin.LoadGen;

/// <summary>
/// Collects latencies (as Stopwatch ticks) from many threads; percentiles at the end. A hot
/// reader takes a shard of its own (<see cref="NewShard"/>) so recording takes no lock; shards
/// are read only once their writers stopped.
/// </summary>
public sealed class LatencyRecorder
{
    private readonly List<long> _samples = new(1 << 16);
    private readonly List<List<long>> _shards = [];
    private readonly Lock _lock = new();

    /// <summary>A list for one writer's samples, counted in the percentiles.</summary>
    public List<long> NewShard()
    {
        var shard = new List<long>();
        lock (_lock)
        {
            _shards.Add(shard);
        }
        return shard;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _samples.Count;
            }
        }
    }

    public void Add(long ticks)
    {
        lock (_lock)
        {
            _samples.Add(ticks);
        }
    }

    /// <summary>Percentile in milliseconds (p in 0..100); NaN when empty.</summary>
    public double PercentileMs(double p)
    {
        lock (_lock)
        {
            foreach (var shard in _shards)
            {
                _samples.AddRange(shard);
                shard.Clear();
            }
            if (_samples.Count == 0)
            {
                return double.NaN;
            }
            _samples.Sort();
            var index = (int)Math.Clamp(Math.Ceiling(p / 100.0 * _samples.Count) - 1, 0, _samples.Count - 1);
            return _samples[index] * 1000.0 / Stopwatch.Frequency;
        }
    }
}
