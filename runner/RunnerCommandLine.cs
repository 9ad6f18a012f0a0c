using System.CommandLine;
using Pushpin.Common.Hosting;
using Pushpin.Runner.Settings;

namespace Pushpin.Runner;

/// <summary>The runner's flags, as upstream's <c>pushpin</c> (plus <c>--version</c>/<c>--help</c> from System.CommandLine).</summary>
internal static class RunnerCommandLine
{
    private static readonly Option<string?> Config = new("--config") { Description = "Config file.", HelpName = "file" };
    private static readonly Option<string?> LogFile = new("--logfile") { Description = "File to log to.", HelpName = "file" };
    private static readonly Option<string?> LogLevel = new("--loglevel") { Description = "Log level (default: 2). Per service: 2,proxy:3", HelpName = "x" };
    private static readonly Option<bool> Verbose = new("--verbose") { Description = "Verbose output. Same as --loglevel=3." };
    private static readonly Option<string?> Port = new("--port") { Description = "Run a single HTTP server instance.", HelpName = "[addr:]port" };
    private static readonly Option<int?> Id = new("--id") { Description = "Set instance ID (needed to run multiple instances).", HelpName = "x" };
    private static readonly Option<string[]> Route = new("--route") { Description = "Add route (overrides routes file).", HelpName = "line" };
    private static readonly Option<bool> MergeOutput = new("--merge-output", "-m") { Description = "Combine output of subprocesses (always on; accepted for compatibility)." };
    private static readonly Option<string?> LogFormat = new("--log-format") { Description = "text (default) or json.", HelpName = "fmt" };

    /// <summary>The man page printed by <c>--help</c>.</summary>
    public static readonly ManPage Page = new()
    {
        Name = "pushpin-runner",
        Summary = "run Pushpin: start and supervise pushpin-connmgr, pushpin-proxy and pushpin-handler",
        Synopsis = ["[--config FILE] [--port [ADDR:]PORT] [--route LINE]... [--id N] [--loglevel X] [--logfile FILE] [--log-format text|json]"],
        Description =
        [
            "Pushpin is a reverse proxy that holds HTTP and WebSocket client connections open on behalf of a stateless backend, which steers it with GRIP headers and publishes data to it.",
            "pushpin-runner reads the config, checks it (a bad file stops it before any daemon starts, with file, line, key and reason), then starts connmgr, proxy and handler in that order and merges their output, each line tagged [connmgr], [proxy] or [handler]. A daemon that dies is restarted with backoff (0.5 s, doubling, at most 30 s); 5 deaths within 60 s is a crash loop and stops everything with exit status 1.",
            "SIGTERM or SIGINT stops the daemons cleanly (held streams are ended, not reset) and SIGKILLs any still running after 4 s; a second signal kills at once. SIGHUP reopens log files and makes the proxy reload its routes. If the runner itself is killed, the daemons notice and exit.",
        ],
        Options =
        [
            ("--config FILE", "Config file, pushpin.toml or upstream's INI pushpin.conf. Without it the first that exists of ./config/pushpin.conf, ./pushpin.conf, ./examples/config/pushpin.conf, etc/pushpin.toml (of the current directory or a parent of the executable) and /etc/pushpin/pushpin.conf is used."),
            ("--port [ADDR:]PORT", "Listen for clients on this one port only (ADDR defaults to 0.0.0.0), overriding http_port, https_ports and local_ports."),
            ("--route LINE", "Add a route (routes file syntax, e.g. \"* localhost:8080\"); repeatable. Given routes replace the routes file."),
            ("--id N", "Instance id: shifts every internal and publish port (5560-5564, 145xx, 146xx, push_in_http_port) by N x 10 and sets the ipc prefix to N-, so several instances run side by side. Client ports are not shifted (as upstream): give each instance its own --port or http_port."),
            ("--loglevel X", "N, or N,service:N,... or service:N,... (services connmgr, proxy, handler; 0 error, 1 warning, 2 info, 3 debug, 4 trace). Overrides [runner] log_level. Default 2."),
            ("--verbose", "Same as --loglevel=3."),
            ("--logfile FILE", "Write the merged log to FILE instead of standard output. It rolls over at 64 MiB, keeping 10 files, and is reopened on SIGHUP (for logrotate)."),
            ("--log-format text|json", "text (default): upstream's line format, [LEVEL] date time [service] message. json: one compact JSON object per line (Serilog CLEF), with a service property on the daemons' lines."),
            ("-m, --merge-output", "Accepted for compatibility; output is always merged."),
            ("-h, --help", "Show this help and exit."),
            ("--version", "Show the version and exit."),
        ],
        ExitStatus =
        [
            ("0", "Stopped by SIGTERM/SIGINT (or --help/--version)."),
            ("1", "Bad config or command line (one line says file, line, key and reason), a daemon executable not found, or a crash loop."),
        ],
        Environment = [("PUSHPIN_RUNNER_BIN_DIR", "Directory searched first for pushpin-connmgr, pushpin-proxy and pushpin-handler (default: the runner's own directory, then PATH).")],
        Files =
        [
            ("etc/pushpin.toml", "The default config, every key commented."),
            ("etc/routes", "The default routes file (* test)."),
        ],
        SeeAlso = ["pushpin-connmgr(1)", "pushpin-proxy(1)", "pushpin-handler(1)", "pushpin-publish(1)", "pushpin-stats(1)", "docs/configuration.md", "docs/operations.md"],
    };

    /// <summary>The root command; <paramref name="run"/> is invoked with the parsed arguments.</summary>
    public static RootCommand Create(Func<RunnerArguments, int> run)
    {
        var root = new RootCommand("Pushpin: a reverse proxy for realtime web services (runs connmgr, proxy and handler).")
        {
            Config, LogFile, LogLevel, Verbose, Port, Id, Route, MergeOutput, LogFormat,
        };
        ManPageHelp.Apply(root, Page);
        root.SetAction(result => run(ToArguments(result)));
        return root;
    }

    public static RunnerArguments ToArguments(ParseResult result) => new()
    {
        ConfigPath = result.GetValue(Config),
        LogFile = result.GetValue(LogFile),
        LogLevel = result.GetValue(LogLevel),
        Verbose = result.GetValue(Verbose),
        Port = result.GetValue(Port),
        Id = result.GetValue(Id),
        Routes = result.GetValue(Route) ?? [],
        MergeOutput = result.GetValue(MergeOutput),
        LogFormat = result.GetValue(LogFormat),
    };
}
