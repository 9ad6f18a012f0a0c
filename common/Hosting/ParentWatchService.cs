using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pushpin.Common.Hosting;

/// <summary>Stops the daemon once a second check finds the runner that started it gone.</summary>
internal sealed partial class ParentWatchService(IHostApplicationLifetime lifetime, ILogger<ParentWatchService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runnerPid = ParentWatch.RunnerPid();
        if (runnerPid is null)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!ParentWatch.IsParentAlive(runnerPid.Value))
                {
                    LogOrphaned(logger, runnerPid.Value);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "runner (pid {Pid}) is gone; stopping")]
    private static partial void LogOrphaned(ILogger logger, int pid);
}
