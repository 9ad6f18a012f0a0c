namespace Pushpin.ProtocolTests.Handler;

/// <summary>A clock the test moves by hand (timestamps only; no timers).</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks = TimeSpan.FromHours(1).Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}
