using System.CommandLine;
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

    /// <summary>The root command; <paramref name="run"/> is invoked with the parsed arguments.</summary>
    public static RootCommand Create(Func<RunnerArguments, int> run)
    {
        var root = new RootCommand("Pushpin: a reverse proxy for realtime web services (runs connmgr, proxy and handler).")
        {
            Config, LogFile, LogLevel, Verbose, Port, Id, Route, MergeOutput,
        };
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
    };
}
