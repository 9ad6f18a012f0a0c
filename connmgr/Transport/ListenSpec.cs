using System.Globalization;
using System.Net;

namespace Pushpin.Connmgr.Transport;

/// <summary>One <c>--listen</c> argument, in upstream connmgr's (condure's) syntax.</summary>
/// <remarks>
/// TCP: <c>[ADDR:]PORT[,stream][,tls][,default-cert=NAME]</c> (a bare port means 0.0.0.0, IPv6 as
/// <c>[::1]:PORT</c>). Unix socket: <c>PATH,local[,stream][,mode=OCTAL][,user=U][,group=G]</c> as the
/// runner passes it for <c>local_ports</c>; <c>unix:PATH</c> is accepted as a spelling of the same.
/// Stream mode is the default as upstream; <c>,req</c> (without <c>,stream</c>, which wins as upstream)
/// makes a zhttp req-mode listener: one request packet, one response packet through <c>--zclient-req</c>.
/// An unknown parameter is refused.
/// </remarks>
internal sealed record ListenSpec
{
    private ListenSpec()
    {
    }

    /// <summary>A TCP stream listener (plain, or TLS with an optional default identity).</summary>
    public static ListenSpec Tcp(IPEndPoint endPoint, bool tls = false, string? defaultCert = null) =>
        new() { EndPoint = endPoint, Tls = tls, DefaultCert = defaultCert };

    /// <summary>A unix-socket stream listener.</summary>
    public static ListenSpec Unix(string path, UnixFileMode? mode = null) => new() { UnixPath = path, Mode = mode };

    /// <summary>The TCP address, or null for a unix socket.</summary>
    public IPEndPoint? EndPoint { get; init; }

    /// <summary>The unix socket path, or null for TCP.</summary>
    public string? UnixPath { get; init; }

    /// <summary>Whether clients speak TLS here (certificates from <c>--tls-identities-dir</c>).</summary>
    public bool Tls { get; init; }

    /// <summary>Identity name used when the client sends no SNI or none matches (<c>NAME.crt</c>/<c>NAME.key</c>).</summary>
    public string? DefaultCert { get; init; }

    /// <summary>Permissions of the unix socket file (octal on the command line).</summary>
    public UnixFileMode? Mode { get; init; }

    /// <summary>Owner (name or uid) given to the unix socket file.</summary>
    public string? User { get; init; }

    /// <summary>Group (name or gid) given to the unix socket file.</summary>
    public string? Group { get; init; }

    public bool IsUnix => UnixPath is not null;

    /// <summary>zhttp req mode: the whole request goes out as one packet and one packet answers it.</summary>
    public bool Req { get; init; }

    /// <summary>How the listener is shown in logs.</summary>
    public override string ToString() =>
        (UnixPath is { } path ? "unix:" + path : (Tls ? EndPoint + " (tls)" : EndPoint!.ToString())) + (Req ? " (req)" : string.Empty);

    public static ListenSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',');
        var address = parts[0];
        var local = false;
        var tls = false;
        var req = false;
        var stream = false;
        string? defaultCert = null;
        UnixFileMode? mode = null;
        string? user = null;
        string? group = null;
        for (var i = 1; i < parts.Length; i++)
        {
            var part = parts[i];
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? string.Empty : part[(eq + 1)..];
            switch (key)
            {
                case "stream":
                    stream = true;
                    break;
                case "req":
                    req = true;
                    break;
                case "local":
                    local = true;
                    break;
                case "tls":
                    tls = true;
                    break;
                case "default-cert":
                    defaultCert = value.Length > 0 ? value : throw new FormatException($"--listen={text}: default-cert needs a name");
                    break;
                case "mode":
                    mode = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) && value.All(c => c is >= '0' and <= '7') && value.Length <= 4
                        ? (UnixFileMode)Convert.ToInt32(value, 8)
                        : throw new FormatException($"--listen={text}: mode must be octal, got '{value}'");
                    break;
                case "user":
                    user = value.Length > 0 ? value : throw new FormatException($"--listen={text}: user needs a value");
                    break;
                case "group":
                    group = value.Length > 0 ? value : throw new FormatException($"--listen={text}: group needs a value");
                    break;
                default:
                    throw new FormatException($"--listen={text}: invalid param '{key}'");
            }
        }
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            local = true;
            address = address[5..];
        }
        if (local)
        {
            if (address.Length == 0)
            {
                throw new FormatException($"--listen={text}: a unix socket needs a path");
            }
            if (tls || defaultCert is not null)
            {
                throw new FormatException($"--listen={text}: tls is for TCP listeners only");
            }
            return new ListenSpec { UnixPath = address, Mode = mode, User = user, Group = group, Req = req && !stream };
        }
        if (mode is not null || user is not null || group is not null)
        {
            throw new FormatException($"--listen={text}: mode/user/group are for unix sockets only (add ',local')");
        }
        return new ListenSpec { EndPoint = ParseEndPoint(text, address), Tls = tls, DefaultCert = defaultCert, Req = req && !stream };
    }

    private static IPEndPoint ParseEndPoint(string text, string address)
    {
        // A bare port listens on every IPv4 address, as upstream.
        if (int.TryParse(address, NumberStyles.None, CultureInfo.InvariantCulture, out var barePort))
        {
            return barePort <= 65535 ? new IPEndPoint(IPAddress.Any, barePort) : throw new FormatException($"--listen={text}: bad port");
        }
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new FormatException($"--listen={text}: expected [ADDR:]PORT");
        }
        var host = address[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"--listen={text}: an IPv6 address needs brackets ([::1]:PORT)");
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
        return new IPEndPoint(ip, port);
    }
}
