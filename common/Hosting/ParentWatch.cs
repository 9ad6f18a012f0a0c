using System.Diagnostics;
using System.Globalization;

namespace Pushpin.Common.Hosting;

/// <summary>
/// Tells whether the runner that started us is still alive, so no daemon outlives it (the runner
/// can be SIGKILLed and then cannot stop its children). The runner puts its pid in
/// <see cref="RunnerPidVariable"/>; when our parent pid is no longer that pid, we were orphaned.
/// </summary>
public static class ParentWatch
{
    /// <summary>Environment variable holding the runner's pid.</summary>
    public const string RunnerPidVariable = "PUSHPIN_RUNNER_PID";

    /// <summary>How often a daemon checks that its runner is still there.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The runner pid from the environment, or null when not started by a runner.</summary>
    public static int? RunnerPid()
    {
        var text = Environment.GetEnvironmentVariable(RunnerPidVariable);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }

    /// <summary>True while <paramref name="runnerPid"/> is alive and still our parent.</summary>
    public static bool IsParentAlive(int runnerPid)
    {
        var ppid = ParentPid();
        if (ppid is not null)
        {
            return ppid == runnerPid;
        }
        // No /proc: fall back to "does that pid exist".
        try
        {
            using var p = Process.GetProcessById(runnerPid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>getppid() via /proc/self/stat (field 4, after the parenthesised command name).</summary>
    public static int? ParentPid()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
