namespace Pushpin.Common.Stats;

/// <summary>
/// Body encoding of a stats frame: <c>T</c> + TNetString (upstream's default) or <c>J</c> + JSON
/// (the handler's <c>stats_format=json</c>).
/// </summary>
public enum StatsFormat
{
    TnetString,
    Json,
}
