using System.Runtime.InteropServices;

namespace Pushpin.Runner.Supervision;

/// <summary>
/// kill(2): .NET's Process can only SIGKILL, but children must get SIGTERM (clean stop) and
/// SIGHUP (reload) as under upstream's runner.
/// </summary>
internal static partial class NativeMethods
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/>; false when the process is already gone.</summary>
    public static bool Kill(int pid, int signal) => SysKill(pid, signal) == 0;
}
