namespace Pushpin.Common.Stats;

/// <summary>
/// A stats frame that cannot be decoded (bad framing, bad TNetString/JSON, a missing or
/// mistyped field). The only exception <see cref="StatsCodec.Decode"/> throws.
/// </summary>
public sealed class StatsPacketException : Exception
{
    public StatsPacketException()
    {
    }

    public StatsPacketException(string message)
        : base(message)
    {
    }

    public StatsPacketException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
