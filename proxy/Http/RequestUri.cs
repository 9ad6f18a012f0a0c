using System.Globalization;

namespace Pushpin.Proxy.Http;

/// <summary>
/// An absolute request URI split into parts without any normalisation, so the path keeps its
/// percent-encoded form byte for byte (route matching and forwarding both need that).
/// </summary>
public sealed record RequestUri(string Scheme, string Host, int Port, string Path, string Query)
{
    /// <summary>Parses <c>scheme://host[:port]/path[?query]</c>; false for anything else.</summary>
    public static bool TryParse(string uri, out RequestUri? result)
    {
        result = null;
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return false;
        }
        var scheme = uri[..schemeEnd].ToLowerInvariant();
        var authorityStart = schemeEnd + 3;
        var pathStart = uri.IndexOfAny(['/', '?', '#'], authorityStart);
        var authority = pathStart == -1 ? uri[authorityStart..] : uri[authorityStart..pathStart];
        var rest = pathStart == -1 ? string.Empty : uri[pathStart..];
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash != -1)
        {
            rest = rest[..hash];
        }
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        var path = q == -1 ? rest : rest[..q];
        var query = q == -1 ? string.Empty : rest[q..];
        var at = authority.LastIndexOf('@');
        if (at != -1)
        {
            authority = authority[(at + 1)..];
        }
        if (!TrySplitHostPort(authority, out var host, out var port) || host.Length == 0)
        {
            return false;
        }
        result = new RequestUri(scheme, host.ToLowerInvariant(), port, path, query);
        return true;
    }

    /// <summary>Splits <c>host[:port]</c> (IPv6 in brackets); port -1 when absent.</summary>
    public static bool TrySplitHostPort(string value, out string host, out int port)
    {
        port = -1;
        string portText;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close == -1)
            {
                host = string.Empty;
                return false;
            }
            host = value[1..close];
            portText = close + 1 < value.Length && value[close + 1] == ':' ? value[(close + 2)..] : string.Empty;
        }
        else
        {
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            host = colon == -1 ? value : value[..colon];
            portText = colon == -1 ? string.Empty : value[(colon + 1)..];
        }
        if (portText.Length > 0)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The authority as the Host header carries it.</summary>
    public string Authority
    {
        get
        {
            var host = Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host;
            return Port == -1 ? host : host + ":" + Port.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Replaces host and port from <c>host[:port]</c> (as_host, target host=); no port means default.</summary>
    public RequestUri WithHost(string hostAndPort)
    {
        var colon = hostAndPort.IndexOf(':', StringComparison.Ordinal);
        if (colon == -1)
        {
            return this with { Host = hostAndPort, Port = -1 };
        }
        _ = int.TryParse(hostAndPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port);
        return this with { Host = hostAndPort[..colon], Port = port };
    }

    public override string ToString() => Scheme + "://" + Authority + Path + Query;
}
