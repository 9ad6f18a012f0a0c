using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pushpin.Common.Hosting;

/// <summary>
/// Stops the daemon when a check (at start, then every 250 ms) finds the runner that started it
/// gone, and exits the process if the clean stop has not finished 1.5 s later, so no daemon
/// outlives a killed runner by more than a few seconds.
/// </summary>
internal sealed partial class ParentWatchService(IHostApplicationLifetime lifetime, DaemonHostOptions options, ILogger<ParentWatchService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runnerPid = ParentWatch.RunnerPid();
        if (runnerPid is null)
        {
            return;
        }
        using var timer = new PeriodicTimer(ParentWatch.CheckInterval);
        try
        {
            // The first check runs at once: start-up may already have taken seconds.
            do
            {
                if (!ParentWatch.IsParentAlive(runnerPid.Value))
                {
                    LogOrphaned(logger, runnerPid.Value);
                    lifetime.StopApplication();
                    if (options.ExitProcessWhenOrphaned)
                    {
                        _ = ExitLaterAsync();
                    }
                    return;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static async Task ExitLaterAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5)).ConfigureAwait(false);
        Environment.Exit(1);
    }

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "runner (pid {Pid}) is gone; stopping")]
    private static partial void LogOrphaned(ILogger logger, int pid);
}
