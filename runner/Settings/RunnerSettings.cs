using System.Globalization;
using Pushpin.Common.Config;

namespace Pushpin.Runner.Settings;

/// <summary>
/// Everything the runner decided before starting a child: which services, with which
/// arguments, at which log levels. Built from the command line and the config, with no side
/// effects, so argument building is testable without processes.
/// </summary>
internal sealed class RunnerSettings
{
    private RunnerSettings(PushpinConfig config, string configPath, LogLevelSpec logLevels, IReadOnlyList<ServiceLaunch> services, int? portOffsetArgument, string ipcPrefix)
    {
        Config = config;
        ConfigPath = configPath;
        LogLevels = logLevels;
        Services = services;
        PortOffsetArgument = portOffsetArgument;
        IpcPrefix = ipcPrefix;
    }

    public PushpinConfig Config { get; }

    /// <summary>Absolute path passed to proxy and handler.</summary>
    public string ConfigPath { get; }

    public LogLevelSpec LogLevels { get; }

    /// <summary>The runner's own level.</summary>
    public int RunnerLogLevel => LogLevels.Default;

    /// <summary>In start order.</summary>
    public IReadOnlyList<ServiceLaunch> Services { get; }

    /// <summary><c>--port-offset</c> given to proxy and handler (only with <c>--id</c>).</summary>
    public int? PortOffsetArgument { get; }

    public string IpcPrefix { get; }

    /// <summary>
    /// Loads the config (reloading it with the <c>--id</c> offset applied), validates it and
    /// works out each child's command line. Throws <see cref="ConfigException"/> or
    /// <see cref="RunnerSettingsException"/> with a one-line message.
    /// </summary>
    /// <param name="args">The runner's command line.</param>
    /// <param name="configPath">The config file to use.</param>
    /// <param name="binDirectory">Where pushpin-connmgr/-proxy/-handler are looked for first.</param>
    public static RunnerSettings Build(RunnerArguments args, string configPath, string binDirectory)
    {
        var fullConfigPath = Path.GetFullPath(configPath);
        var config = PushpinConfig.Load(configPath);
        int? portOffsetArgument = null;
        var ipcPrefix = config.IpcPrefix;
        if (args.Id is { } id)
        {
            if (id < 0)
            {
                throw new RunnerSettingsException($"--id: '{id}' must be 0 or more");
            }
            // As upstream: --id N gives ipc prefix "N-" and shifts internal ports by N*10; we add
            // that to the file's own port_offset so both can be used together.
            portOffsetArgument = config.PortOffset + (id * 10);
            ipcPrefix = id.ToString(CultureInfo.InvariantCulture) + "-";
            config = PushpinConfig.Load(configPath, new PushpinConfigOptions { PortOffset = portOffsetArgument, IpcPrefix = ipcPrefix });
        }
        config.Validate();

        if (args.LogFormat is not null and not "text" and not "json")
        {
            throw new RunnerSettingsException($"--log-format: '{args.LogFormat}' is not text or json");
        }
        var logLevels = ResolveLogLevels(args, config);
        var services = config.GetServices("runner", "services");
        var launches = new List<ServiceLaunch>();
        foreach (var name in services)
        {
            var file = FindExecutable("pushpin-" + name, binDirectory);
            var arguments = name switch
            {
                ServiceNames.Connmgr => ChildArguments.Connmgr(config, args, logLevels.For(name)),
                ServiceNames.Proxy => ChildArguments.Proxy(fullConfigPath, ipcPrefix, portOffsetArgument, logLevels.For(name), args.Routes),
                _ => ChildArguments.Handler(fullConfigPath, ipcPrefix, portOffsetArgument, logLevels.For(name)),
            };
            if (args.JsonLogs)
            {
                arguments = [.. arguments, "--log-format=json"];
            }
            launches.Add(new ServiceLaunch(name, file, arguments));
        }
        return new RunnerSettings(config, fullConfigPath, logLevels, launches, portOffsetArgument, ipcPrefix);
    }

    /// <summary>
    /// <c>[runner] log_level</c>, then <c>--loglevel</c> on top (its bare level replaces the
    /// default, its <c>service:N</c> items replace those services'), then <c>--verbose</c> (= 3).
    /// </summary>
    public static LogLevelSpec ResolveLogLevels(RunnerArguments args, PushpinConfig config)
    {
        var spec = config.GetLogLevels("runner", "log_level");
        if (args.LogLevel is not null)
        {
            if (!LogLevelSpec.TryParse(args.LogLevel, out var cli, out var error))
            {
                throw new RunnerSettingsException($"--loglevel: {error}");
            }
            spec = LogLevelSpec.Merge(spec, cli!);
        }
        if (args.Verbose && args.LogLevel is null)
        {
            spec = LogLevelSpec.Uniform(3);
        }
        return spec;
    }

    /// <summary>Next to the runner first (artifacts/bin holds all four), then on PATH.</summary>
    public static string FindExecutable(string name, string binDirectory)
    {
        var local = Path.Combine(binDirectory, name);
        if (File.Exists(local))
        {
            return local;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new RunnerSettingsException($"cannot find {name} (looked in {binDirectory} and PATH); build it with dotnet build");
    }
}
