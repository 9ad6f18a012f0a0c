using System.Diagnostics;
using System.Globalization;

namespace Pushpin.LoadGen;

/// <summary>RSS of the server's processes and this process's own CPU time (Linux /proc).</summary>
public static class ProcessMetrics
{
    /// <summary>Sum of VmRSS (bytes) of every process whose name or command line matches one of the patterns.</summary>
    public static long TotalRss(IReadOnlyList<string> patterns)
    {
        long total = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (!patterns.Any(p => cmdline.Contains(p, StringComparison.Ordinal)))
                {
                    continue;
                }
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        var kb = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                        total += kb * 1024;
                    }
                }
            }
            catch (IOException)
            {
                // The process went away.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }
        return total;
    }

    /// <summary>Total CPU time (user + system) this process has used.</summary>
    public static TimeSpan OwnCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
