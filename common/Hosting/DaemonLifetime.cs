using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Pushpin.Common.Hosting;

/// <summary>
/// Signal handling for a daemon, replacing the generic host's ConsoleLifetime: SIGTERM (and
/// SIGQUIT) stop the host; SIGINT stops it too unless a runner started us, because a Ctrl+C in a
/// terminal reaches the whole process group and the runner must decide the order of shutdown (as
/// upstream's children ignore SIGINT); SIGHUP is handed to the daemon instead of killing it.
/// </summary>
internal sealed class DaemonLifetime(IHostApplicationLifetime lifetime, DaemonRun run) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, run.UnderRunner ? Ignore : Stop));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, Hangup));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
        _registrations.Clear();
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        lifetime.StopApplication();
    }

    private static void Ignore(PosixSignalContext context) => context.Cancel = true;

    private void Hangup(PosixSignalContext context)
    {
        context.Cancel = true;
        ThreadPool.QueueUserWorkItem(_ => run.Context?.RaiseHangup());
    }
}
