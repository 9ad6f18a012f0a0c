namespace Pushpin.Common.Hosting;

/// <summary>A bad command line (unknown flag, missing or malformed value). The message is one line.</summary>
public sealed class DaemonUsageException : Exception
{
    public DaemonUsageException()
    {
    }

    public DaemonUsageException(string message)
        : base(message)
    {
    }

    public DaemonUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
