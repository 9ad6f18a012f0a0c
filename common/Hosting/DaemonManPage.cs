using System.Text.RegularExpressions;

namespace Pushpin.Common.Hosting;

/// <summary>
/// The man page of a daemon (<c>pushpin-connmgr</c>, <c>-proxy</c>, <c>-handler</c>): the shared
/// flags, then the daemon's own usage text, whose <c>--flag   text</c> lines become option
/// entries.
/// </summary>
internal static partial class DaemonManPage
{
    public static ManPage For(string name, string? usage)
    {
        var exe = "pushpin-" + name;
        var (options, rest) = SplitUsage(usage);
        return new ManPage
        {
            Name = exe,
            Summary = name switch
            {
                "connmgr" => "Pushpin's connection manager: client HTTP/WebSocket sockets and outbound requests",
                "proxy" => "Pushpin's proxy: routes requests to backends and hands GRIP responses to the handler",
                "handler" => "Pushpin's handler: held connections, subscriptions and the publish API",
                _ => "a Pushpin daemon",
            },
            Synopsis = ["[--config FILE] [--loglevel N] [--logfile FILE] [OPTIONS]"],
            Description =
            [
                $"{exe} is one of the three daemons that pushpin-runner starts and supervises; it is rarely started by hand. It reads the same config file as the runner and exits when the runner that started it dies.",
                "SIGTERM and SIGINT stop it cleanly; SIGHUP reopens its log file (and makes the proxy reload its routes).",
            ],
            Options = DaemonArguments.CommonOptions,
            ExtraOptions = options,
            ExtraText = rest,
            ExitStatus =
            [
                ("0", "Stopped by SIGTERM/SIGINT, or --help/--version."),
                ("1", "Bad config, a port that cannot be bound, or a fatal error (one log line says why)."),
                ("2", "Bad command line (pushpin-connmgr)."),
            ],
            Environment = [(ParentWatch.RunnerPidVariable, "Set by pushpin-runner: the daemon exits when that process is gone.")],
            SeeAlso = ["pushpin-runner(1)", "pushpin-publish(1)", "pushpin-stats(1)", "docs/operations.md"],
        };
    }

    // "  --flag=VALUE   What it does." lines become entries; anything else stays text.
    private static (List<(string Flag, string Text)> Options, string? Text) SplitUsage(string? usage)
    {
        var options = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(usage))
        {
            return (options, null);
        }
        var rest = new List<string>();
        foreach (var line in usage.Split('\n'))
        {
            var m = OptionLine().Match(line);
            if (m.Success)
            {
                options.Add((m.Groups[1].Value, m.Groups[2].Value.Trim()));
            }
            else if (line.Trim().Length > 0)
            {
                rest.Add(line.TrimEnd());
            }
        }
        if (rest.Count == 0)
        {
            return (options, null);
        }
        var indent = rest.Min(l => l.Length - l.TrimStart().Length);
        return (options, string.Join('\n', rest.Select(l => l[indent..])));
    }

    [GeneratedRegex(@"^\s+(-\S+(?: \S+)?)\s{2,}(\S.*)$")]
    private static partial Regex OptionLine();
}
