namespace Pushpin.Proxy.Routing;

/// <summary>
/// An immutable snapshot of the routes, indexed for matching (upstream <c>DomainMap</c>).
/// </summary>
/// <remarks>
/// Built once per (re)load and swapped atomically by <see cref="RoutesProvider"/>; readers never
/// lock. Host lookup is exact: when any rule names the request's host, only those rules are
/// candidates, with no fallback to <c>*</c>.
/// </remarks>
public sealed class RouteTable
{
    private readonly Dictionary<string, List<Route>> _byDomain;
    // A null value marks an id that several lines share (unusable for id lookups).
    private readonly Dictionary<string, Route?> _byId;

    private RouteTable(List<Route> all, Dictionary<string, List<Route>> byDomain, Dictionary<string, Route?> byId)
    {
        Routes = all;
        _byDomain = byDomain;
        _byId = byId;
    }

    public static RouteTable Empty { get; } = new([], new(StringComparer.Ordinal), new(StringComparer.Ordinal));

    /// <summary>Every accepted route, in file order.</summary>
    public IReadOnlyList<Route> Routes { get; }

    /// <summary>
    /// Builds a table from routes lines. Invalid lines are skipped and reported in
    /// <paramref name="errors"/> (named by <paramref name="source"/> and 1-based line number).
    /// </summary>
    public static RouteTable Build(IEnumerable<string> lines, string source, string baseDirectory, ICollection<RouteLoadError> errors)
    {
        var all = new List<Route>();
        var byDomain = new Dictionary<string, List<Route>>(StringComparer.Ordinal);
        var byId = new Dictionary<string, Route?>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in lines)
        {
            lineNumber++;
            var route = RouteRuleParser.Parse(line, baseDirectory, out var error);
            if (route is null)
            {
                if (error is not null)
                {
                    errors.Add(new RouteLoadError(source, lineNumber, error));
                }
                continue;
            }
            var addError = Add(route, all, byDomain, byId);
            if (addError is not null)
            {
                errors.Add(new RouteLoadError(source, lineNumber, addError));
            }
        }
        return new RouteTable(all, byDomain, byId);
    }

    private static string? Add(Route r, List<Route> all, Dictionary<string, List<Route>> byDomain, Dictionary<string, Route?> byId)
    {
        if (r.Domain is null && r.Id.Length == 0)
        {
            return "condition has no domain or id";
        }
        if (r.Domain is not null && byDomain.TryGetValue(r.Domain, out var existing) && existing.Exists(r.SameCondition))
        {
            return "skipping duplicate condition";
        }
        all.Add(r);
        if (r.Domain is not null)
        {
            if (!byDomain.TryGetValue(r.Domain, out var list))
            {
                list = [];
                byDomain.Add(r.Domain, list);
            }
            list.Add(r);
        }
        if (r.Id.Length > 0)
        {
            // A second line with the same id makes the id unusable.
            byId[r.Id] = byId.ContainsKey(r.Id) ? null : r;
        }
        return null;
    }

    /// <summary>
    /// The best route for a request, or null. <paramref name="host"/> is compared lower-cased
    /// and without port; <paramref name="path"/> is the percent-encoded path.
    /// </summary>
    public Route? Match(RouteProtocol protocol, bool ssl, string host, string path)
    {
        if (!_byDomain.TryGetValue(host.ToLowerInvariant(), out var rules) && !_byDomain.TryGetValue(string.Empty, out rules))
        {
            return null;
        }
        Route? best = null;
        foreach (var r in rules)
        {
            if (best is null ? r.IsMatch(protocol, ssl, path) : r.IsMoreSpecificThan(best, protocol, ssl, path))
            {
                best = r;
            }
        }
        return best;
    }

    /// <summary>True when several lines declare <paramref name="id"/>.</summary>
    public bool IsIdShared(string id) => _byId.TryGetValue(id, out var r) && r is null;

    /// <summary>
    /// The route with id <paramref name="id"/>; null when unknown, shared, or (when a path is
    /// given) when the path does not start with the route's <c>path_beg</c>.
    /// </summary>
    public Route? FindById(string id, string? path = null)
    {
        if (!_byId.TryGetValue(id, out var r) || r is null)
        {
            return null;
        }
        if (path is not null && !r.MatchesPath(path))
        {
            return null;
        }
        return r;
    }
}
