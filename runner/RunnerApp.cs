using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Config;
using Pushpin.Common.Hosting;
using Pushpin.Runner.Settings;
using Pushpin.Runner.Supervision;
using Serilog.Extensions.Logging;

namespace Pushpin.Runner;

/// <summary>
/// The runner: find and validate the config (a bad config stops it before any child starts,
/// with one line naming file, line, key and reason), work out the children's command lines,
/// then supervise them with merged, tagged output.
/// </summary>
internal static partial class RunnerApp
{
    /// <summary>Overrides where the daemons are looked for first (tests use stand-in daemons).</summary>
    public const string BinDirVariable = "PUSHPIN_RUNNER_BIN_DIR";

    public static int Run(RunnerArguments args)
    {
        var configPath = args.ConfigPath ?? ConfigLocator.Find();
        if (configPath is null)
        {
            return Fail(args, "no config file found (tried ./config/pushpin.conf, ./pushpin.conf, ./examples/config/pushpin.conf, etc/pushpin.toml, /etc/pushpin/); use --config");
        }

        RunnerSettings settings;
        try
        {
            settings = RunnerSettings.Build(args, configPath, Environment.GetEnvironmentVariable(BinDirVariable) ?? AppContext.BaseDirectory);
        }
        catch (Exception e) when (e is ConfigException or RunnerSettingsException)
        {
            return Fail(args, e.Message);
        }

        using var serilog = DaemonLogging.CreateLogger(settings.RunnerLogLevel, args.LogFile, args.JsonLogs);
        using var factory = new SerilogLoggerFactory(serilog);
        var logger = factory.CreateLogger("runner");
        foreach (var warning in settings.Config.Warnings)
        {
            LogWarning(logger, warning);
        }
        LogUsingConfig(logger, settings.ConfigPath);
        EnsureRunDir(settings, logger);

        void OnLine(string service, string line, bool fromStderr) =>
            serilog.Information("{" + PushpinLogFormatter.RawLineProperty + "}", args.JsonLogs
                ? LogLinePrefixer.PrefixJson(service, line, fromStderr, DateTimeOffset.Now)
                : LogLinePrefixer.Prefix(service, line, fromStderr, DateTimeOffset.Now));

        using var supervisor = new Supervisor(settings.Services, OnLine, logger);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; supervisor.RequestStop("SIGTERM"); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; supervisor.RequestStop("SIGINT"); });
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => { c.Cancel = true; supervisor.RequestStop("SIGQUIT"); });
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            DaemonLogging.ReopenLogFiles();
            supervisor.Hangup();
        });
        return supervisor.RunAsync().GetAwaiter().GetResult();
    }

    // One line, in the log format, before any child exists.
    private static int Fail(RunnerArguments args, string message)
    {
        using var serilog = DaemonLogging.CreateLogger(LogLevelSpec.DefaultLevel, args.LogFile, args.JsonLogs);
        serilog.Fatal("{Message}", message);
        if (args.LogFile is not null)
        {
            Console.Error.WriteLine(message);
        }
        return 1;
    }

    // Upstream's runner creates rundir; the children put runtime files there.
    private static void EnsureRunDir(RunnerSettings settings, ILogger logger)
    {
        try
        {
            Directory.CreateDirectory(settings.Config.RunDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWarning(logger, $"cannot create rundir {settings.Config.RunDir}: {e.Message}");
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "using config: {Path}")]
    private static partial void LogUsingConfig(ILogger logger, string path);
}
