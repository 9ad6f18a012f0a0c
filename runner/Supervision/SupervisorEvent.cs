namespace Pushpin.Runner.Supervision;

/// <summary>Inputs to the supervisor's single loop (so its state needs no locks).</summary>
internal abstract record SupervisorEvent
{
    /// <summary>A child exited.</summary>
    public sealed record Exited(ServiceProcess Service, int ExitCode) : SupervisorEvent;

    /// <summary>A backoff elapsed; start the service again.</summary>
    public sealed record RestartDue(ServiceProcess Service) : SupervisorEvent;

    /// <summary>SIGINT/SIGTERM to the runner.</summary>
    public sealed record StopRequested(string Signal) : SupervisorEvent;

    /// <summary>connmgr's turn to stop came (the others took too long).</summary>
    public sealed record FrontStopDue : SupervisorEvent;

    /// <summary>The grace period after SIGTERM is over.</summary>
    public sealed record KillDue : SupervisorEvent;

    /// <summary>SIGHUP to the runner.</summary>
    public sealed record Hangup : SupervisorEvent;
}
