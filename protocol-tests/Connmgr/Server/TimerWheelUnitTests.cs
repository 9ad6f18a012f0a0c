using Pushpin.Connmgr.Server;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>The coarse timer wheel, driven by hand (no clock, no sleeps).</summary>
[TestFixture]
public sealed class TimerWheelUnitTests
{
    private sealed class Owner(string name)
    {
        public override string ToString() => name;
    }

    [Test]
    public void Entries_fire_on_the_first_advance_at_or_after_their_deadline_and_only_once()
    {
        var wheel = new TimerWheel<Owner>(100, 16, now: 1000);
        var a = new Owner("a");
        var b = new Owner("b");
        wheel.Schedule(a, 1250);
        wheel.Schedule(b, 1400);
        Assert.That(Advance(wheel, 1100), Is.Empty);
        Assert.That(Advance(wheel, 1249), Is.Empty);
        Assert.That(Advance(wheel, 1260), Is.EqualTo(new[] { (a, 1250L) }));
        Assert.That(Advance(wheel, 1390), Is.Empty);
        Assert.That(Advance(wheel, 1700), Is.EqualTo(new[] { (b, 1400L) }));
        Assert.That(Advance(wheel, 5000), Is.Empty);
    }

    [Test]
    public void Deadline_later_in_the_current_tick_is_not_lost()
    {
        var wheel = new TimerWheel<Owner>(100, 16, now: 1000);
        var a = new Owner("a");
        wheel.Schedule(a, 1290);
        Assert.That(Advance(wheel, 1210), Is.Empty, "same tick, not yet due");
        Assert.That(Advance(wheel, 1310), Has.Count.EqualTo(1));
    }

    [Test]
    public void Deadlines_beyond_one_revolution_wait_for_their_turn()
    {
        var wheel = new TimerWheel<Owner>(100, 8, now: 0);
        var far = new Owner("far");
        wheel.Schedule(far, 2050);
        for (var t = 100; t < 2050; t += 100)
        {
            Assert.That(Advance(wheel, t), Is.Empty, $"at {t}");
        }
        Assert.That(Advance(wheel, 2100), Has.Count.EqualTo(1));
    }

    [Test]
    public void A_late_tick_that_skips_many_slots_fires_everything_due()
    {
        var wheel = new TimerWheel<Owner>(100, 8, now: 0);
        var owners = Enumerable.Range(0, 50).Select(i => new Owner("o" + i)).ToList();
        for (var i = 0; i < owners.Count; i++)
        {
            wheel.Schedule(owners[i], 100 + (i * 37));
        }
        Assert.That(Advance(wheel, 10_000).Select(f => f.Owner), Is.EquivalentTo(owners));
    }

    [Test]
    public void Work_per_tick_is_proportional_to_what_expires()
    {
        // 100,000 entries spread over 1,000 ticks: each advance returns only its own ~100.
        var wheel = new TimerWheel<Owner>(10, 4096, now: 0);
        var owner = new Owner("x");
        for (var i = 0; i < 100_000; i++)
        {
            wheel.Schedule(owner, 10 + (i % 1000 * 10));
        }
        Assert.That(Advance(wheel, 10), Has.Count.EqualTo(100));
        Assert.That(Advance(wheel, 20), Has.Count.EqualTo(100));
    }

    private static List<(Owner Owner, long Due)> Advance(TimerWheel<Owner> wheel, long now)
    {
        var fired = new List<(Owner, long)>();
        wheel.Advance(now, fired);
        return fired;
    }
}
