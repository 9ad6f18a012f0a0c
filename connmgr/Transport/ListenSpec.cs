using System.Globalization;
using System.Net;

namespace Pushpin.Connmgr.Transport;

/// <summary>One <c>--listen=ADDR:PORT[,option...]</c> argument.</summary>
/// <remarks>Only <c>stream</c> listeners exist so far; <c>req</c>, <c>tls</c> and unix paths are refused
/// with a clear message rather than silently served as something else.</remarks>
internal sealed record ListenSpec(IPEndPoint EndPoint, bool Stream)
{
    public static ListenSpec Parse(string text)
    {
        var parts = text.Split(',');
        var address = parts[0];
        var stream = false;
        for (var i = 1; i < parts.Length; i++)
        {
            switch (parts[i])
            {
                case "stream":
                    stream = true;
                    break;
                case "req":
                    throw new FormatException($"--listen={text}: req listeners are not supported yet");
                default:
                    throw new FormatException($"--listen={text}: unsupported option '{parts[i]}'");
            }
        }
        if (!stream)
        {
            throw new FormatException($"--listen={text}: only stream listeners are supported (add ',stream')");
        }
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new FormatException($"--listen={text}: expected ADDR:PORT");
        }
        var host = address[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        if (host == "*")
        {
            host = "0.0.0.0";
        }
        // IPAddress.TryParse accepts shorthand such as "1.2.3" (= 1.2.0.3); a listen address must be spelled out.
        var dotted = !host.Contains(':', StringComparison.Ordinal) && host.Contains('.', StringComparison.Ordinal);
        if (dotted && host.Split('.').Length != 4)
        {
            throw new FormatException($"--listen={text}: '{host}' is not an IP address");
        }
        if (!IPAddress.TryParse(host, out var ip))
        {
            if (host == "localhost")
            {
                ip = IPAddress.Loopback;
            }
            else
            {
                throw new FormatException($"--listen={text}: '{host}' is not an IP address");
            }
        }
        return new ListenSpec(new IPEndPoint(ip, port), stream);
    }
}
