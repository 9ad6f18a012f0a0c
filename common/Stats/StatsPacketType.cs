namespace Pushpin.Common.Stats;

/// <summary>
/// What a stats message says. Connected/Disconnected share the wire type <c>conn</c> and
/// Subscribed/Unsubscribed share <c>sub</c>; the <c>unavailable</c> flag tells them apart.
/// </summary>
public enum StatsPacketType
{
    Activity,
    Message,
    Connected,
    Disconnected,
    Subscribed,
    Unsubscribed,
    Report,
    Counts,
    ConnectionsMax,
}
