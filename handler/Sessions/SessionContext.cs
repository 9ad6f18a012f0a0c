using Microsoft.Extensions.Logging;
using Pushpin.Handler.Metrics;

namespace Pushpin.Handler.Sessions;

/// <summary>What every held session shares: our instance id, the packet sender, the clock, the log.</summary>
internal sealed class SessionContext(string instanceId, IZhttpSender sender, TimeProvider time, ILogger logger)
{
    public string InstanceId { get; } = instanceId;

    public IZhttpSender Sender { get; } = sender;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;

    /// <summary>Publish counters (delivered, dropped by reason); null = not counted.</summary>
    public HandlerCounters? Counters { get; init; }

    /// <summary>Milliseconds on a monotonic clock.</summary>
    public long NowMs => (long)Time.GetElapsedTime(0).TotalMilliseconds;
}
