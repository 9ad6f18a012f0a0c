using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Config;
using Serilog;
using Serilog.Core;

namespace Pushpin.Common.Hosting;

/// <summary>
/// The shared plumbing of every daemon: parse the common flags, set up logging, load and
/// validate the config, build a generic host, run the daemon until SIGTERM/SIGINT (or until the
/// runner that started it dies), and turn fatal errors into one log line and exit code 1.
/// </summary>
/// <example>
/// <code>
/// public static int Main(string[] args) =>
///     DaemonHost.Run("proxy", args, (ctx, ct) => new ProxyServer(ctx).RunAsync(ct));
/// </code>
/// </example>
public static class DaemonHost
{
    /// <summary>Synchronous form of <see cref="RunAsync"/> for <c>Main</c>.</summary>
    public static int Run(string name, string[] args, Func<DaemonContext, CancellationToken, Task> run, DaemonHostOptions? options = null) =>
        RunAsync(name, args, run, options).GetAwaiter().GetResult();

    /// <summary>Runs a daemon; returns the process exit code (0 after a clean stop, 1 on a fatal error or bad usage).</summary>
    /// <param name="name">Short name (connmgr, proxy, handler); the executable is <c>pushpin-NAME</c>.</param>
    /// <param name="args">The command line.</param>
    /// <param name="run">The daemon itself; it should return when the token is cancelled.</param>
    /// <param name="options">Daemon-specific flags and services.</param>
    public static async Task<int> RunAsync(string name, string[] args, Func<DaemonContext, CancellationToken, Task> run, DaemonHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(run);
        options ??= new DaemonHostOptions();
        var exe = "pushpin-" + name;

        DaemonArguments arguments;
        try
        {
            arguments = DaemonArguments.Parse(args, options.ValueOptions);
            if (options.KnownOptions.Count > 0)
            {
                var unknown = arguments.Options.Keys.FirstOrDefault(k => !options.KnownOptions.Contains(k) && !options.ValueOptions.Contains(k));
                if (unknown is not null)
                {
                    throw new DaemonUsageException($"unknown option --{unknown}");
                }
            }
        }
        catch (DaemonUsageException e)
        {
            await Console.Error.WriteLineAsync($"{exe}: {e.Message} (see --help)");
            return 1;
        }
        if (arguments.Version)
        {
            await Console.Out.WriteLineAsync(ManPage.VersionLine(exe));
            return 0;
        }
        if (arguments.Help)
        {
            await Console.Out.WriteAsync(DaemonManPage.For(name, options.Usage).Render());
            return 0;
        }

        using var logger = DaemonLogging.CreateLogger(arguments.EffectiveLogLevel, arguments.LogFile, arguments.JsonLogs, options.LogOutput);

        PushpinConfig config;
        try
        {
            config = LoadConfig(arguments, options);
        }
        catch (ConfigException e)
        {
            LogFatal(logger, arguments, e.Message);
            return 1;
        }
        foreach (var warning in config.Warnings)
        {
            logger.Warning("{Warning}", warning);
        }

        var state = new DaemonRun(run, ParentWatch.RunnerPid() is not null);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = exe,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Services.AddSerilog(logger, dispose: false);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = options.ShutdownTimeout;
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<IHostLifetime, DaemonLifetime>();
        builder.Services.AddHostedService<ParentWatchService>();
        builder.Services.AddHostedService<DaemonRunService>();
        options.ConfigureServices?.Invoke(builder.Services);

        try
        {
            using var host = builder.Build();
            state.Context = new DaemonContext(name, arguments, config, host.Services.GetRequiredService<ILoggerFactory>(), host.Services);
            state.Context.Logger.LogDebug("{Exe} starting with config {Config}", exe, config.FilePath);
            await host.RunAsync();
        }
        catch (Exception e) when (e is DaemonFatalException or ConfigException)
        {
            LogFatal(logger, arguments, e.Message);
            return 1;
        }
        return state.ExitCode;
    }

    /// <summary>The one line that explains a fatal exit (also on standard error when logging to a file).</summary>
    internal static void LogFatal(DaemonContext context, string message)
    {
        context.Logger.LogCritical("{Message}", message);
        if (context.Arguments.LogFile is not null)
        {
            Console.Error.WriteLine(message);
        }
    }

    private static void LogFatal(Logger logger, DaemonArguments arguments, string message)
    {
        logger.Fatal("{Message}", message);
        if (arguments.LogFile is not null)
        {
            Console.Error.WriteLine(message);
        }
    }

    private static PushpinConfig LoadConfig(DaemonArguments arguments, DaemonHostOptions options)
    {
        var configOptions = new PushpinConfigOptions { PortOffset = arguments.PortOffset, IpcPrefix = arguments.IpcPrefix };
        var path = arguments.ConfigPath ?? (options.NoConfigSearch ? null : ConfigLocator.Find());
        var config = path is null ? PushpinConfig.Defaults(configOptions) : PushpinConfig.Load(path, configOptions);
        config.Validate();
        return config;
    }
}
