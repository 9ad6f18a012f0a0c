namespace Pushpin.Common.Stats;

/// <summary>
/// The twelve byte/message counters of a <c>report</c>. Each one is either present (a value
/// on the wire) or absent, since upstream omits the counters it did not track.
/// </summary>
public sealed class StatsCounters
{
    public const int Count = 12;

    private static readonly string[] WireNames =
    [
        "client-header-bytes-received",
        "client-header-bytes-sent",
        "client-content-bytes-received",
        "client-content-bytes-sent",
        "client-messages-received",
        "client-messages-sent",
        "server-header-bytes-received",
        "server-header-bytes-sent",
        "server-content-bytes-received",
        "server-content-bytes-sent",
        "server-messages-received",
        "server-messages-sent",
    ];

    private readonly long?[] _values = new long?[Count];

    public long? this[StatsCounter counter]
    {
        get => _values[(int)counter];
        set => _values[(int)counter] = value;
    }

    /// <summary>The key of a counter in a <c>report</c> message.</summary>
    public static string WireName(StatsCounter counter) => WireNames[(int)counter];

    /// <summary>Every counter, in upstream's order.</summary>
    public static IEnumerable<StatsCounter> All => Enum.GetValues<StatsCounter>();

    /// <summary>A set with every counter present, taken from <paramref name="values"/> (indexed by counter).</summary>
    public static StatsCounters FromValues(ReadOnlySpan<long> values)
    {
        var c = new StatsCounters();
        for (var i = 0; i < Count && i < values.Length; i++)
        {
            c._values[i] = values[i];
        }
        return c;
    }
}
