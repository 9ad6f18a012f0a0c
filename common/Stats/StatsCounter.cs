namespace Pushpin.Common.Stats;

/// <summary>The byte and message counters carried by <c>report</c> messages (upstream's order).</summary>
public enum StatsCounter
{
    ClientHeaderBytesReceived = 0,
    ClientHeaderBytesSent = 1,
    ClientContentBytesReceived = 2,
    ClientContentBytesSent = 3,
    ClientMessagesReceived = 4,
    ClientMessagesSent = 5,
    ServerHeaderBytesReceived = 6,
    ServerHeaderBytesSent = 7,
    ServerContentBytesReceived = 8,
    ServerContentBytesSent = 9,
    ServerMessagesReceived = 10,
    ServerMessagesSent = 11,
}
