using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
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

    /// <summary>
    /// The one body-only data packet every session fills for its stream body (the hot fan-out
    /// path): the sender encodes a packet before <see cref="IZhttpSender.Send"/> returns (a
    /// batching sender copies what it keeps), so it is reused rather than allocated per session
    /// per delivery. Only its body fields are ever set.
    /// </summary>
    public ZhttpPacket BodyPacket { get; } = new() { Type = ZhttpPacketType.Data, Multi = true };

    /// <summary>Milliseconds on a monotonic clock.</summary>
    public long NowMs => (long)Time.GetElapsedTime(0).TotalMilliseconds;
}
