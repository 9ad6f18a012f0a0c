using Microsoft.Extensions.DependencyInjection;

namespace Pushpin.Common.Hosting;

/// <summary>Per-daemon tweaks to <see cref="DaemonHost.RunAsync"/>.</summary>
public sealed class DaemonHostOptions
{
    /// <summary>Daemon-specific flags that take a value (so <c>--listen ADDR</c> works as well as <c>--listen=ADDR</c>).</summary>
    public IReadOnlyCollection<string> ValueOptions { get; init; } = [];

    /// <summary>
    /// Every daemon-specific flag name (with or without value). When not empty, any other flag
    /// is a usage error, so a typo is reported instead of silently ignored.
    /// </summary>
    public IReadOnlyCollection<string> KnownOptions { get; init; } = [];

    /// <summary>Extra <c>--help</c> lines for the daemon's own flags.</summary>
    public string? Usage { get; init; }

    /// <summary>Registers extra services in the generic host.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>How long stopping may take before the host gives up on the run delegate.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>When set, logs go here instead of standard output (tests).</summary>
    public TextWriter? LogOutput { get; init; }

    /// <summary>
    /// When the runner is found gone, exit the process if the clean stop has not finished 1.5 s
    /// later. Off only for in-process tests, whose process must live on.
    /// </summary>
    public bool ExitProcessWhenOrphaned { get; init; } = true;

    /// <summary>Skip the config search when <c>--config</c> is absent and use built-in defaults (connmgr reads no config).</summary>
    public bool NoConfigSearch { get; init; }
}
