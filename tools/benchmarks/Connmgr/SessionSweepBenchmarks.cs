using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Server;

namespace Pushpin.Benchmarks.Connmgr;

/// <summary>
/// What one 1 s tick costs connmgr's server side with <see cref="Sessions"/> open sessions of one
/// multi responder, none of them due: the old sweep (every session's expiry and keep-alive
/// checked each tick) against the session timer wheel (<see cref="SessionTimers"/>), which
/// touches only entries that came due.
/// </summary>
[InProcess]
[WarmupCount(2)]
[IterationCount(8)]
[MemoryDiagnoser]
public class SessionSweepBenchmarks
{
    private static int _instance;

    private readonly List<ServerSession> _sessions = [];
    private ZhttpRequester _requester = null!;
    private SessionTimers _timers = null!;

    [Params(10_000)]
    public int Sessions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var name = $"inproc://sweep-bench-{Interlocked.Increment(ref _instance)}";
        _requester = new ZhttpRequester("bench", new ZhttpEndpoints([name + "-push"], [name + "-router"], [name + "-sub"], Bind: true), NullLogger.Instance);
        _requester.Start();
        // Long intervals: nothing comes due while the benchmark runs, as for held sessions between keep-alives.
        var options = new ServerOptions { Listen = [], KeepAliveInterval = TimeSpan.FromHours(1), SessionTimeout = TimeSpan.FromHours(2) };
        var now = Environment.TickCount64;
        _timers = new SessionTimers(options, _requester, now);
        for (var i = 0; i < Sessions; i++)
        {
            var s = new ServerSession($"0-{i}-0", "bench", _requester, now);
            s.SetTarget("resp");
            s.PeerMulti = true;
            s.Timer = _timers.Track(s, now);
            _sessions.Add(s);
        }
        _timers.Advance(now);
    }

    [GlobalCleanup]
    public void Cleanup() => _requester.Dispose();

    /// <summary>The old per-tick loop: expiry and keep-alive idleness of every session.</summary>
    [Benchmark(Baseline = true)]
    public int Full_scan_per_tick()
    {
        var now = Environment.TickCount64;
        var due = 0;
        foreach (var s in _sessions)
        {
            if (now - s.LastReceived > 7_200_000)
            {
                due++;
                continue;
            }
            if (s.TryGetIdle(now, out _, out var idle) && idle >= 1_800_000)
            {
                due++;
            }
        }
        return due;
    }

    /// <summary>The wheel: one tick advanced, no entry due.</summary>
    [Benchmark]
    public void Timer_wheel_tick() => _timers.Advance(Environment.TickCount64);
}
