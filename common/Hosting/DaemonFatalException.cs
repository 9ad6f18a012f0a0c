namespace Pushpin.Common.Hosting;

/// <summary>
/// A condition that stops a daemon (a port in use, a peer spec that cannot be parsed). Thrown
/// from a daemon's run delegate; <see cref="DaemonHost"/> logs the message as the one line that
/// explains the exit and returns exit code 1.
/// </summary>
public sealed class DaemonFatalException : Exception
{
    public DaemonFatalException()
    {
    }

    public DaemonFatalException(string message)
        : base(message)
    {
    }

    public DaemonFatalException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// "cannot bind tcp://127.0.0.1:14500 ([proxy] connmgr_in_specs): address in use": the spec,
    /// the config key it came from and why, so the user knows which line to change.
    /// </summary>
    public static DaemonFatalException CannotBind(string spec, string section, string key, string reason, Exception? inner = null) =>
        inner is null
            ? new DaemonFatalException($"cannot bind {spec} ([{section}] {key}): {reason}")
            : new DaemonFatalException($"cannot bind {spec} ([{section}] {key}): {reason}", inner);
}
