using System.Diagnostics;
using System.Globalization;
using Pushpin.Common.Hosting;
using Pushpin.Runner.Settings;

namespace Pushpin.Runner.Supervision;

/// <summary>
/// One running child: started with its output redirected line by line, and with the runner's pid
/// in <see cref="ParentWatch.RunnerPidVariable"/> so it exits if the runner dies.
/// </summary>
internal sealed class ServiceProcess(ServiceLaunch launch, Action<string, string, bool> onLine, Action<ServiceProcess, int> onExit) : IDisposable
{
    private Process? _process;
    private bool _running;

    public ServiceLaunch Launch { get; } = launch;

    public string Name => Launch.Name;

    public bool Running { get => Volatile.Read(ref _running); private set => Volatile.Write(ref _running, value); }

    public int? Pid => Running ? _process?.Id : null;

    /// <summary>Starts the child; throws when the executable cannot be started.</summary>
    public void Start()
    {
        var psi = new ProcessStartInfo(Launch.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var a in Launch.Arguments)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment[ParentWatch.RunnerPidVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                onLine(Name, e.Data, false);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                onLine(Name, e.Data, true);
            }
        };
        process.Start();
        _process?.Dispose();
        _process = process;
        Running = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _ = WatchAsync(process);
    }

    /// <summary>Sends a signal if the child is running.</summary>
    public void Signal(int signal)
    {
        if (Running && _process is { } p)
        {
            NativeMethods.Kill(p.Id, signal);
        }
    }

    public void Dispose() => _process?.Dispose();

    // WaitForExitAsync also waits for the redirected streams to reach EOF, so the child's last
    // lines are logged before its exit is reported.
    private async Task WatchAsync(Process process)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        Running = false;
        onExit(this, process.ExitCode);
    }
}
