using System.Diagnostics;

namespace Pushpin.LoadGen;

/// <summary>Collects latencies (as Stopwatch ticks) from many threads; percentiles at the end.</summary>
public sealed class LatencyRecorder
{
    private readonly List<long> _samples = new(1 << 16);
    private readonly Lock _lock = new();

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
