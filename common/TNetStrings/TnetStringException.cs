namespace Pushpin.Common.TNetStrings;

/// <summary>Input that is not a well-formed TNetString.</summary>
public sealed class TnetStringException : FormatException
{
    public TnetStringException(string message)
        : base(message)
    {
    }

    public TnetStringException()
    {
    }

    public TnetStringException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
