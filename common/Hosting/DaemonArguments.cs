using System.Globalization;

namespace Pushpin.Common.Hosting;

/// <summary>
/// The flags every daemon shares (upstream's proxy/handler CLI plus ours):
/// <c>--config FILE</c>, <c>--logfile FILE</c>, <c>--loglevel N</c> (alias <c>--log-level</c>,
/// 0 error … 4 trace), <c>--verbose</c> (= 3), <c>--log-format text|json</c>,
/// <c>--ipc-prefix P</c>, <c>--port-offset N</c>, <c>--route LINE</c> (repeatable), <c>--help</c>.
/// Values may follow as the next argument or after <c>=</c>.
/// </summary>
/// <remarks>
/// Daemon-specific flags (connmgr's <c>--listen</c>, <c>--zclient-stream</c>...) are kept in
/// <see cref="Options"/>. Those that take a value must be declared to <see cref="Parse"/> to be
/// written as <c>--name VALUE</c>; undeclared ones only take <c>--name=VALUE</c> (the form the
/// runner always uses).
/// </remarks>
public sealed class DaemonArguments
{
    /// <summary>Help text for the shared flags, for a daemon's <c>--help</c> output.</summary>
    public const string CommonHelp = """
          --config <file>        Config file (pushpin.toml or upstream pushpin.conf).
          --logfile <file>       File to log to (default: standard output).
          --loglevel <N>         Log level: 0 error, 1 warn, 2 info (default), 3 debug, 4 trace.
          --verbose              Same as --loglevel=3.
          --log-format <fmt>     text (default, upstream's line format) or json.
          --ipc-prefix <prefix>  Override [global] ipc_prefix.
          --port-offset <N>      Override [global] port_offset.
          --route <line>         Add a route (overrides the routes file); repeatable.
          -h, --help             Show this help.
        """;

    /// <summary>The shared flags as man-page entries (see <see cref="ManPage"/>).</summary>
    public static readonly IReadOnlyList<(string Flag, string Text)> CommonOptions =
    [
        ("--config FILE", "Config file: pushpin.toml or an upstream pushpin.conf (INI). Without it the default search applies (./config/pushpin.conf, ./pushpin.conf, ./examples/config/pushpin.conf, etc/pushpin.toml, /etc/pushpin/pushpin.conf)."),
        ("--logfile FILE", "Log to FILE instead of standard output. It rolls over at 64 MiB (10 files kept) and is reopened on SIGHUP."),
        ("--loglevel N, --log-level N", "Log level: 0 error, 1 warning, 2 info (default), 3 debug, 4 trace."),
        ("--verbose", "Same as --loglevel=3."),
        ("--log-format text|json", "text (default): upstream's line format; json: one compact JSON object per line."),
        ("--ipc-prefix PREFIX", "Override [global] ipc_prefix."),
        ("--port-offset N", "Override [global] port_offset (added to every tcp:// port and to push_in_http_port)."),
        ("--route LINE", "Add a route, replacing the routes file; repeatable."),
        ("-h, --help", "Show this help and exit."),
        ("-V, --version", "Show the version and exit."),
    ];

    private static readonly HashSet<string> ValueFlags = new(StringComparer.Ordinal)
    {
        "config", "logfile", "loglevel", "log-level", "log-format", "ipc-prefix", "port-offset", "route",
    };

    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly List<string> _routes = [];
    private readonly List<string> _positionals = [];

    public string? ConfigPath { get; private set; }

    public string? LogFile { get; private set; }

    /// <summary>The <c>--loglevel</c> value as given (null when absent).</summary>
    public int? LogLevel { get; private set; }

    public bool Verbose { get; private set; }

    /// <summary>True for <c>--log-format json</c>.</summary>
    public bool JsonLogs { get; private set; }

    public string? IpcPrefix { get; private set; }

    public int? PortOffset { get; private set; }

    public IReadOnlyList<string> Routes => _routes;

    public bool Help { get; private set; }

    /// <summary>True for <c>--version</c> or <c>-V</c>.</summary>
    public bool Version { get; private set; }

    /// <summary>True when the process should only print (help or version) and exit.</summary>
    public bool PrintOnly => Help || Version;

    /// <summary>Flags not listed above: name (without dashes) → values in order (empty string for a bare flag).</summary>
    public IReadOnlyDictionary<string, List<string>> Options => _options;

    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>Level after <c>--verbose</c>: 2 by default, at least 3 with <c>--verbose</c>.</summary>
    public int EffectiveLogLevel => Verbose ? Math.Max(3, LogLevel ?? 3) : LogLevel ?? 2;

    /// <summary>Last value of a daemon-specific flag, or null.</summary>
    public string? GetOption(string name) => _options.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    public bool HasOption(string name) => _options.ContainsKey(name);

    /// <summary>Parses <paramref name="args"/>; <paramref name="valueOptions"/> names daemon flags that take a value.</summary>
    /// <exception cref="DaemonUsageException">A malformed value or a missing value.</exception>
    public static DaemonArguments Parse(IReadOnlyList<string> args, IEnumerable<string>? valueOptions = null)
    {
        var extraValueFlags = new HashSet<string>(valueOptions ?? [], StringComparer.Ordinal);
        var result = new DaemonArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                result.Help = true;
                continue;
            }
            if (arg is "-V" or "--version")
            {
                result.Version = true;
                continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                result._positionals.Add(arg);
                continue;
            }
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? arg[2..] : arg[2..eq];
            string? value = eq < 0 ? null : arg[(eq + 1)..];
            if (value is null && (ValueFlags.Contains(name) || extraValueFlags.Contains(name)))
            {
                if (i + 1 >= args.Count)
                {
                    throw new DaemonUsageException($"--{name} needs a value");
                }
                value = args[++i];
            }
            result.Apply(name, value);
        }
        return result;
    }

    private void Apply(string name, string? value)
    {
        switch (name)
        {
            case "config":
                ConfigPath = value;
                break;
            case "logfile":
                LogFile = value;
                break;
            case "loglevel" or "log-level":
                LogLevel = ParseLevel(value!);
                break;
            case "verbose":
                Verbose = true;
                break;
            case "log-format":
                JsonLogs = value switch
                {
                    "json" => true,
                    "text" => false,
                    _ => throw new DaemonUsageException($"--log-format: '{value}' is not text or json"),
                };
                break;
            case "ipc-prefix":
                IpcPrefix = value;
                break;
            case "port-offset":
                PortOffset = int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var offset) && offset >= 0
                    ? offset
                    : throw new DaemonUsageException($"--port-offset: '{value}' is not a non-negative integer");
                break;
            case "route":
                _routes.Add(value!);
                break;
            default:
                if (!_options.TryGetValue(name, out var list))
                {
                    list = [];
                    _options[name] = list;
                }
                list.Add(value ?? string.Empty);
                break;
        }
    }

    private static int ParseLevel(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 4
            ? n
            : throw new DaemonUsageException($"--loglevel: '{value}' is not a log level (0 error, 1 warn, 2 info, 3 debug, 4 trace)");
}
