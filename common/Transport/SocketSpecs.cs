using System.Globalization;

namespace Pushpin.Common.Transport;

/// <summary>Helpers for ZeroMQ endpoint specs such as <c>tcp://127.0.0.1:14500</c>.</summary>
public static class SocketSpecs
{
    /// <summary>
    /// The three endpoints a zhttp base stands for: for <c>tcp://host:N</c> the ports N, N+1, N+2
    /// (initial, stream, out/in), as connmgr's <c>--zclient-stream</c>/<c>--zserver-stream</c>.
    /// </summary>
    public static (string First, string Second, string Third) FromBase(string baseSpec)
    {
        var (host, port) = SplitTcp(baseSpec);
        return ($"tcp://{host}:{port}", $"tcp://{host}:{port + 1}", $"tcp://{host}:{port + 2}");
    }

    /// <summary>Splits <c>tcp://host:port</c>; anything else is an <see cref="ArgumentException"/>.</summary>
    public static (string Host, int Port) SplitTcp(string spec)
    {
        const string scheme = "tcp://";
        if (!spec.StartsWith(scheme, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{spec}' is not a tcp:// spec (ipc:// is not supported; use tcp://127.0.0.1:PORT)", nameof(spec));
        }
        var rest = spec[scheme.Length..];
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"'{spec}' has no valid port", nameof(spec));
        }
        return (rest[..colon], port);
    }
}
