namespace Pushpin.Common.Hosting;

/// <summary>State shared between <see cref="DaemonHost"/> and its hosted services for one run.</summary>
internal sealed class DaemonRun(Func<DaemonContext, CancellationToken, Task> run, bool underRunner)
{
    public Func<DaemonContext, CancellationToken, Task> Run { get; } = run;

    public bool UnderRunner { get; } = underRunner;

    public DaemonContext? Context { get; set; }

    public int ExitCode { get; set; }
}
