using Pushpin.Common.Hosting;

namespace Pushpin.Stats;

/// <summary>The parsed command line of pushpin-stats.</summary>
internal sealed class StatsCommandLine
{
    public const string DefaultSpec = "tcp://127.0.0.1:5564";

    /// <summary>The man page printed by <c>--help</c>.</summary>
    public static readonly ManPage Page = new()
    {
        Name = "pushpin-stats",
        Summary = "watch Pushpin's stats socket",
        Synopsis = ["[--spec SPEC] [--interval SECS]", "--raw [--spec SPEC] [--types T1,T2]"],
        Description =
        [
            "Subscribes to the stats socket of a Pushpin handler or proxy (a ZeroMQ PUB socket, tcp://127.0.0.1:5564 by default; shifted by port_offset and --id) and shows a live table that refreshes every --interval seconds: connections and their rate, subscriptions per channel, messages received and sent per second.",
            "With --raw, every message is printed instead, one JSON line per message: {\"type\":\"conn\",\"from\":...}. Both TNetString and JSON (stats_format = json) stats messages are read.",
            "SIGINT or SIGTERM exits 0.",
        ],
        Options =
        [
            ("--spec SPEC", "Stats socket to connect to (default " + DefaultSpec + ")."),
            ("--raw", "Print each message as one JSON line instead of the table."),
            ("--types T1,T2", "Only these message types: activity, message, conn, sub, report, counts, conn-max."),
            ("--interval SECS", "Table refresh interval in seconds (default 1)."),
            ("-h, --help", "Show this help and exit."),
            ("-V, --version", "Show the version and exit."),
        ],
        ExitStatus =
        [
            ("0", "Stopped by SIGINT/SIGTERM (or --help/--version)."),
            ("1", "Bad command line or the spec cannot be connected."),
        ],
        SeeAlso = ["pushpin-runner(1)", "pushpin-publish(1)", "docs/operations.md"],
    };

    /// <summary>Short usage shown after a command-line error.</summary>
    public const string Usage = "Usage: pushpin-stats [--spec SPEC] [--raw] [--types T1,T2] [--interval SECS] (see --help)";

    public string Spec { get; private set; } = DefaultSpec;

    public bool Raw { get; private set; }

    public bool Help { get; private set; }

    public bool Version { get; private set; }

    public IReadOnlyList<string> Types { get; private set; } = [];

    public TimeSpan Interval { get; private set; } = TimeSpan.FromSeconds(1);

    /// <summary>Parses <paramref name="args"/>; on a bad argument returns null and says why.</summary>
    public static StatsCommandLine? Parse(IReadOnlyList<string> args, out string? error)
    {
        var result = new StatsCommandLine();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            string? Value()
            {
                if (inline is not null)
                {
                    return inline;
                }
                if (i + 1 < args.Count)
                {
                    return args[++i];
                }
                return null;
            }
            switch (arg)
            {
                case "-h" or "--help":
                    result.Help = true;
                    break;
                case "-V" or "--version":
                    result.Version = true;
                    break;
                case "--raw":
                    result.Raw = true;
                    break;
                case "--spec":
                    var spec = Value();
                    if (string.IsNullOrEmpty(spec))
                    {
                        error = "--spec needs a value";
                        return null;
                    }
                    result.Spec = spec;
                    break;
                case "--types":
                    var types = Value();
                    if (string.IsNullOrEmpty(types))
                    {
                        error = "--types needs a value";
                        return null;
                    }
                    result.Types = types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--interval":
                    var text = Value();
                    if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var secs) || secs <= 0 || secs > 3600)
                    {
                        error = "--interval needs a number of seconds (0 < secs <= 3600)";
                        return null;
                    }
                    result.Interval = TimeSpan.FromSeconds(secs);
                    break;
                default:
                    error = $"unknown argument '{args[i]}'";
                    return null;
            }
        }
        return result;
    }
}
