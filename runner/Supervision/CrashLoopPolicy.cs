namespace Pushpin.Runner.Supervision;

/// <summary>
/// Decides what to do when a child dies: restart after a backoff that doubles with each recent
/// death (0.5 s, 1 s, 2 s, ... up to 30 s), or give up when one service died
/// <see cref="MaxDeaths"/> times within <see cref="Window"/> (a crash loop: restarting would only
/// hide the problem). Upstream stops everything on the first death; we restart because the
/// handler's state is disposable and a restart keeps plain proxying alive.
/// </summary>
internal sealed class CrashLoopPolicy(int maxDeaths, TimeSpan window, TimeSpan initialBackoff, TimeSpan maxBackoff)
{
    private readonly Dictionary<string, Queue<DateTimeOffset>> _deaths = new(StringComparer.Ordinal);

    public CrashLoopPolicy()
        : this(5, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30))
    {
    }

    public int MaxDeaths { get; } = maxDeaths;

    public TimeSpan Window { get; } = window;

    /// <summary>Records a death of <paramref name="service"/> at <paramref name="now"/> and returns the decision.</summary>
    public CrashDecision RecordDeath(string service, DateTimeOffset now)
    {
        if (!_deaths.TryGetValue(service, out var deaths))
        {
            deaths = new Queue<DateTimeOffset>();
            _deaths[service] = deaths;
        }
        deaths.Enqueue(now);
        while (deaths.Count > 0 && now - deaths.Peek() > Window)
        {
            deaths.Dequeue();
        }
        var recent = deaths.Count;
        if (recent >= MaxDeaths)
        {
            return new CrashDecision(true, TimeSpan.Zero, recent);
        }
        var factor = Math.Pow(2, recent - 1);
        var delay = TimeSpan.FromTicks((long)Math.Min(initialBackoff.Ticks * factor, maxBackoff.Ticks));
        return new CrashDecision(false, delay, recent);
    }
}

/// <summary>What to do after a death.</summary>
/// <param name="GiveUp">True on a crash loop: stop everything and exit 1.</param>
/// <param name="Delay">How long to wait before restarting.</param>
/// <param name="RecentDeaths">Deaths of that service within the window, this one included.</param>
internal readonly record struct CrashDecision(bool GiveUp, TimeSpan Delay, int RecentDeaths);
