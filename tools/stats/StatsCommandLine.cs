namespace Pushpin.Stats;

/// <summary>The parsed command line of pushpin-stats.</summary>
internal sealed class StatsCommandLine
{
    public const string DefaultSpec = "tcp://127.0.0.1:5564";

    public const string Usage = """
        Usage: pushpin-stats [options]

        Watches the stats socket of a Pushpin handler (or proxy) and shows connections,
        subscriptions and message rates as a live table, or every message as one JSON line.

        Options:
          --spec <spec>       stats socket to connect to (default tcp://127.0.0.1:5564)
          --raw               print each message as one JSON line instead of the table
          --types <t1,t2>     only these message types (activity, message, conn, sub,
                              report, counts, conn-max)
          --interval <secs>   table refresh interval in seconds (default 1)
          -h, --help          show this help
        """;

    public string Spec { get; private set; } = DefaultSpec;

    public bool Raw { get; private set; }

    public bool Help { get; private set; }

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
