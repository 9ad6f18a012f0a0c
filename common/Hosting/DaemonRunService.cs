using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Config;

namespace Pushpin.Common.Hosting;

/// <summary>Runs the daemon's delegate; when it ends (normally or not) the host stops.</summary>
internal sealed partial class DaemonRunService(DaemonRun run, IHostApplicationLifetime lifetime, ILogger<DaemonRunService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await run.Run(run.Context!, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal stop.
        }
        catch (Exception e) when (e is DaemonFatalException or ConfigException)
        {
            DaemonHost.LogFatal(run.Context!, e.Message);
            run.ExitCode = 1;
        }
        catch (Exception e)
        {
            LogCrash(logger, e);
            DaemonHost.LogFatal(run.Context!, $"fatal: {e.GetType().Name}: {e.Message}");
            run.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Debug, Message = "unhandled exception in the daemon")]
    private static partial void LogCrash(ILogger logger, Exception e);
}
