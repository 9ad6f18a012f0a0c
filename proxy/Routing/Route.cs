using Pushpin.Proxy.Signing;

namespace Pushpin.Proxy.Routing;

/// <summary>One parsed routes line: its condition, its options and its targets (immutable).</summary>
public sealed record Route
{
    /// <summary>Exact host (lower case), empty for <c>*</c>, null when only reachable by id.</summary>
    public string? Domain { get; init; }

    /// <summary>Required protocol, or null when unrestricted.</summary>
    public RouteProtocol? Protocol { get; init; }

    /// <summary>Required client TLS state, or null when unrestricted.</summary>
    public bool? Ssl { get; init; }

    /// <summary>Required path prefix (percent-encoded form); empty when unrestricted.</summary>
    public string PathBeg { get; init; } = string.Empty;

    public string Id { get; init; } = string.Empty;

    /// <summary>True when the id came from the file (enables per-route stats and log lines).</summary>
    public bool ExplicitId { get; init; }

    public string SigIss { get; init; } = string.Empty;

    public GripSigningKey? SigKey { get; init; }

    public string Prefix { get; init; } = string.Empty;

    public bool OrigHeaders { get; init; }

    public string AsHost { get; init; } = string.Empty;

    public int PathRemove { get; init; }

    public string PathPrepend { get; init; } = string.Empty;

    public bool Debug { get; init; }

    public bool AutoCrossOrigin { get; init; }

    public JsonpConfig Jsonp { get; init; } = new();

    public bool Session { get; init; }

    public string SockJsPath { get; init; } = string.Empty;

    public string SockJsAsPath { get; init; } = string.Empty;

    /// <summary>Route <c>header=</c> props: set (or, with an empty value, remove) request headers.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>False with <c>no_grip</c>.</summary>
    public bool Grip { get; init; } = true;

    public IReadOnlyList<RouteTarget> Targets { get; init; } = [];

    public int LogLevel { get; init; } = -1;

    /// <summary>The route id for stats and logs: only an explicit id separates stats.</summary>
    public string? StatsRoute => ExplicitId ? Id : null;

    public bool MatchesPath(string path) => path.StartsWith(PathBeg, StringComparison.Ordinal);

    internal bool IsMatch(RouteProtocol protocol, bool ssl, string path) =>
        (Protocol is null || Protocol == protocol) &&
        (Ssl is null || Ssl == ssl) &&
        (PathBeg.Length == 0 || path.StartsWith(PathBeg, StringComparison.Ordinal));

    /// <summary>Upstream precedence: proto-specific first, then longer path_beg, then ssl-specific.</summary>
    internal bool IsMoreSpecificThan(Route other, RouteProtocol protocol, bool ssl, string path)
    {
        if (!IsMatch(protocol, ssl, path))
        {
            return false;
        }
        if (other.Protocol is null && Protocol is not null)
        {
            return true;
        }
        if (other.Protocol is not null && Protocol is null)
        {
            return false;
        }
        if (PathBeg.Length > other.PathBeg.Length)
        {
            return true;
        }
        return other.Ssl is null && Ssl is not null;
    }

    internal bool SameCondition(Route other) =>
        Protocol == other.Protocol && Ssl == other.Ssl && PathBeg == other.PathBeg;

    /// <summary>Upstream's generated id, <c>domain,proto,ssl,path_beg</c> (ssl labels inverted as upstream).</summary>
    internal string IdFromCondition()
    {
        var domain = string.IsNullOrEmpty(Domain) ? "*" : Domain;
        var proto = Protocol switch
        {
            RouteProtocol.Http => "http",
            RouteProtocol.WebSocket => "ws",
            _ => "*",
        };
        var ssl = Ssl switch
        {
            false => "ssl",
            true => "no-ssl",
            _ => "*",
        };
        var path = PathBeg.Length == 0 ? "*" : PathBeg;
        return $"{domain},{proto},{ssl},{path}";
    }
}
