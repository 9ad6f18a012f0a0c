using NUnit.Framework;
using Pushpin.Runner.Supervision;

namespace Pushpin.ProtocolTests.Runner;

[TestFixture]
[CancelAfter(5_000)]
public sealed class SupervisionUnitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 15, 0, 0, TimeSpan.Zero);

    [Test]
    public void Log_lines_get_the_service_tag_after_the_timestamp()
    {
        var line = LogLinePrefixer.Prefix("proxy", "[INFO] 2026-11-23 15:00:00.123 listening on 7999", false, T0);
        Assert.That(line, Is.EqualTo("[INFO] 2026-11-23 15:00:00.123 [proxy] listening on 7999"));
        line = LogLinePrefixer.Prefix("handler", "[DEBUG] 2026-11-23 15:00:00.123 [Session] x y", false, T0);
        Assert.That(line, Is.EqualTo("[DEBUG] 2026-11-23 15:00:00.123 [handler] [Session] x y"));
    }

    [Test]
    public void Other_lines_are_wrapped_as_log_lines()
    {
        var stderr = LogLinePrefixer.Prefix("proxy", "Unhandled exception. System.Exception: x", true, T0);
        Assert.That(stderr, Does.Match(@"^\[ERR\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[proxy\] Unhandled exception\. System\.Exception: x$"));
        var stdout = LogLinePrefixer.Prefix("connmgr", "hello", false, T0);
        Assert.That(stdout, Does.Match(@"^\[INFO\] \S+ \S+ \[connmgr\] hello$"));
        Assert.That(LogLinePrefixer.Prefix("connmgr", "", false, T0), Does.EndWith("[connmgr] "));
    }

    [Test]
    public void Restart_backoff_doubles_with_each_recent_death()
    {
        var policy = new CrashLoopPolicy();
        var delays = Enumerable.Range(0, 4).Select(i => policy.RecordDeath("handler", T0.AddSeconds(i))).ToList();
        Assert.That(delays.Select(d => d.GiveUp), Has.All.False);
        Assert.That(delays.Select(d => d.Delay.TotalSeconds), Is.EqualTo(new[] { 0.5, 1, 2, 4 }));
    }

    [Test]
    public void Five_deaths_within_sixty_seconds_is_a_crash_loop()
    {
        var policy = new CrashLoopPolicy();
        for (var i = 0; i < 4; i++)
        {
            Assert.That(policy.RecordDeath("proxy", T0.AddSeconds(i * 10)).GiveUp, Is.False);
        }
        var fifth = policy.RecordDeath("proxy", T0.AddSeconds(50));
        Assert.That(fifth.GiveUp, Is.True);
        Assert.That(fifth.RecentDeaths, Is.EqualTo(5));
    }

    [Test]
    public void Deaths_older_than_the_window_are_forgotten()
    {
        var policy = new CrashLoopPolicy();
        for (var i = 0; i < 4; i++)
        {
            policy.RecordDeath("proxy", T0.AddSeconds(i));
        }
        var later = policy.RecordDeath("proxy", T0.AddMinutes(5));
        Assert.That(later.GiveUp, Is.False);
        Assert.That(later.RecentDeaths, Is.EqualTo(1));
        Assert.That(later.Delay, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
    }

    [Test]
    public void Services_are_counted_separately()
    {
        var policy = new CrashLoopPolicy();
        for (var i = 0; i < 4; i++)
        {
            policy.RecordDeath("proxy", T0);
            Assert.That(policy.RecordDeath("handler", T0).GiveUp, Is.False);
        }
        Assert.That(policy.RecordDeath("connmgr", T0).GiveUp, Is.False);
    }

    [Test]
    public void Backoff_is_capped()
    {
        var policy = new CrashLoopPolicy(100, TimeSpan.FromHours(1), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        CrashDecision last = default;
        for (var i = 0; i < 20; i++)
        {
            last = policy.RecordDeath("proxy", T0);
        }
        Assert.That(last.Delay, Is.EqualTo(TimeSpan.FromSeconds(30)));
    }
}
