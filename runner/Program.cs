using System.CommandLine;

namespace Pushpin.Runner;

/// <summary>Entry point of <c>pushpin-runner</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = RunnerCommandLine.Create(RunnerApp.Run);
        // No ProcessTerminationTimeout: the runner handles SIGINT/SIGTERM itself.
        return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
