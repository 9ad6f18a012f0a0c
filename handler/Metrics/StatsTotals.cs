using Pushpin.Common.Stats;

namespace Pushpin.Handler.Metrics;

/// <summary>
/// Running totals of what our stats socket reports (upstream's "combined report" behind its
/// Prometheus metrics): fed by every packet the aggregator publishes, read by the metrics page.
/// </summary>
internal sealed class StatsTotals
{
    private long _requestsReceived;
    private long _connectionsMax;
    private long _connectionMinutes;
    private long _messagesReceived;
    private long _messagesSent;

    public long RequestsReceived => Interlocked.Read(ref _requestsReceived);

    public long ConnectionsMax => Interlocked.Read(ref _connectionsMax);

    public long ConnectionMinutes => Interlocked.Read(ref _connectionMinutes);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    /// <summary>Sees one outgoing stats packet (called on the aggregator's thread).</summary>
    public void Observe(StatsPacket packet)
    {
        switch (packet.Type)
        {
            case StatsPacketType.Counts when packet.RequestsReceived is > 0:
                Interlocked.Add(ref _requestsReceived, packet.RequestsReceived.Value);
                break;
            case StatsPacketType.Report:
                if (packet.ConnectionsMax is { } max)
                {
                    Interlocked.Exchange(ref _connectionsMax, max);
                }
                Interlocked.Add(ref _connectionMinutes, packet.ConnectionsMinutes ?? 0);
                Interlocked.Add(ref _messagesReceived, packet.MessagesReceived ?? 0);
                Interlocked.Add(ref _messagesSent, packet.MessagesSent ?? 0);
                break;
        }
    }
}
