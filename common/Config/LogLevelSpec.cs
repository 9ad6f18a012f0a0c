using System.Globalization;

namespace Pushpin.Common.Config;

/// <summary>
/// Upstream's log level syntax (<c>[runner] log_level</c>, runner <c>--loglevel</c>): <c>N</c>,
/// <c>service:N</c>, or a comma list of both (<c>2,proxy:3</c>). Levels are 0 error, 1 warn,
/// 2 info, 3 debug, 4 trace.
/// </summary>
public sealed class LogLevelSpec
{
    public const int DefaultLevel = 2;

    private readonly Dictionary<string, int> _perService;

    private LogLevelSpec(int defaultLevel, Dictionary<string, int> perService)
    {
        Default = defaultLevel;
        _perService = perService;
    }

    /// <summary>Level for services not named.</summary>
    public int Default { get; }

    public IReadOnlyDictionary<string, int> PerService => _perService;

    /// <summary>Level for <paramref name="service"/> (connmgr, proxy, handler).</summary>
    public int For(string service) => _perService.TryGetValue(service, out var n) ? n : Default;

    /// <summary>Parses the syntax; the error is the reason only (the caller adds where it came from).</summary>
    public static bool TryParse(string text, out LogLevelSpec? spec, out string? error)
    {
        spec = null;
        error = null;
        var defaultLevel = DefaultLevel;
        var perService = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var levelText = colon < 0 ? part : part[(colon + 1)..].Trim();
            if (!int.TryParse(levelText, NumberStyles.None, CultureInfo.InvariantCulture, out var level) || level > 4)
            {
                error = $"'{levelText}' is not a log level (0 error, 1 warn, 2 info, 3 debug, 4 trace)";
                return false;
            }
            if (colon < 0)
            {
                defaultLevel = level;
            }
            else
            {
                var name = ServiceNames.Canonical(part[..colon].Trim());
                if (name is null)
                {
                    error = $"'{part[..colon].Trim()}' is not a service (connmgr, proxy, handler)";
                    return false;
                }
                perService[name] = level;
            }
        }
        spec = new LogLevelSpec(defaultLevel, perService);
        return true;
    }

    /// <summary>A spec that gives every service <paramref name="level"/>.</summary>
    public static LogLevelSpec Uniform(int level) => new(level, new Dictionary<string, int>(StringComparer.Ordinal));
}
