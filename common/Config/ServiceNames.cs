namespace Pushpin.Common.Config;

/// <summary>
/// <c>[runner] services</c> in both eras' spellings: HEAD's <c>connmgr,proxy,handler</c> and
/// 1.x's <c>condure,zurl,pushpin-proxy,pushpin-handler</c>. zurl's role is connmgr's client mode,
/// so it maps to nothing of its own.
/// </summary>
public static class ServiceNames
{
    public const string Connmgr = "connmgr";
    public const string Proxy = "proxy";
    public const string Handler = "handler";

    /// <summary>Start order.</summary>
    public static IReadOnlyList<string> All { get; } = [Connmgr, Proxy, Handler];

    /// <summary>Our name for an upstream service name, or null when unknown. zurl maps to connmgr.</summary>
    public static string? Canonical(string name) => name switch
    {
        "connmgr" or "condure" or "pushpin-connmgr" or "zurl" => Connmgr,
        "proxy" or "pushpin-proxy" => Proxy,
        "handler" or "pushpin-handler" => Handler,
        _ => null,
    };

    /// <summary>
    /// Maps a comma list to our services in start order (duplicates removed). mongrel2 and
    /// m2adapter are not supported (connmgr replaced them upstream too).
    /// </summary>
    public static bool TryParse(string text, out IReadOnlyList<string> services, out string? error)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        error = null;
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var name = Canonical(item);
            if (name is null)
            {
                error = item is "mongrel2" or "m2adapter"
                    ? $"'{item}' is not supported; use connmgr"
                    : $"'{item}' is not a service (connmgr, proxy, handler; or condure, zurl, pushpin-proxy, pushpin-handler)";
                services = [];
                return false;
            }
            set.Add(name);
        }
        services = All.Where(set.Contains).ToList();
        return true;
    }
}
