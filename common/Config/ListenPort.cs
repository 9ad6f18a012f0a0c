using System.Globalization;
using System.Net;

namespace Pushpin.Common.Config;

/// <summary>A client listener from <c>http_port</c>/<c>https_ports</c> or <c>--port</c>: <c>[addr:]port</c>.</summary>
/// <param name="Address">IP address text (IPv6 without brackets); 0.0.0.0 when not given.</param>
/// <param name="Port">1..65535.</param>
public sealed record ListenPort(string Address, int Port)
{
    public const string DefaultAddress = "0.0.0.0";

    /// <summary><c>addr:port</c>, with IPv6 addresses in brackets (the form connmgr's <c>--listen</c> takes).</summary>
    public override string ToString() =>
        Address.Contains(':', StringComparison.Ordinal) ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    /// <summary>Parses <c>port</c>, <c>addr:port</c> or <c>[v6]:port</c>; the error is the reason only.</summary>
    public static bool TryParse(string text, out ListenPort? port, out string? error)
    {
        port = null;
        error = null;
        var s = text.Trim();
        string address = DefaultAddress;
        string portText = s;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}' is not a valid [addr:]port";
                return false;
            }
            address = s[1..close];
            portText = s[(close + 2)..];
        }
        else
        {
            var colon = s.LastIndexOf(':');
            if (colon >= 0)
            {
                address = s[..colon];
                portText = s[(colon + 1)..];
            }
        }
        if (!IPAddress.TryParse(address, out _))
        {
            error = $"'{address}' is not a valid IP address";
            return false;
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            error = $"'{portText}' is not a valid port";
            return false;
        }
        port = new ListenPort(address, number);
        return true;
    }
}
