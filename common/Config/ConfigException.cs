namespace Pushpin.Common.Config;

/// <summary>
/// A configuration value that cannot be used. The message is one line that names the file,
/// the line, the section and key, and the reason, so a daemon can print it as its only output
/// (for example <c>etc/pushpin.toml:12: [runner] http_port: 'abc' is not a valid port</c>).
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException()
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
