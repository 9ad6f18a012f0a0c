namespace Pushpin.Common.Stats;

/// <summary>The <c>type</c> of a <c>conn</c> message: <c>http</c> or <c>ws</c>.</summary>
public enum StatsConnectionType
{
    Http,
    WebSocket,
}
