using System.Diagnostics;
using System.Globalization;

namespace Pushpin.LoadGen;

/// <summary>RSS of the server's processes and this process's own CPU time (Linux /proc).</summary>
public static class ProcessMetrics
{
    /// <summary>
    /// When set, only this process and its descendants count (<c>--server-pid</c>): on a shared
    /// machine other people's daemons match the same names.
    /// </summary>
    public static int RootPid { get; set; }

    // The /proc directories of the processes that may count.
    private static IEnumerable<string> Candidates()
    {
        var all = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            all[pid] = RootPid > 0 ? ParentOf(dir) : 0;
        }
        foreach (var (pid, _) in all)
        {
            if (RootPid <= 0 || Descends(pid, all))
            {
                yield return "/proc/" + pid.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    private static bool Descends(int pid, Dictionary<int, int> parents)
    {
        for (var depth = 0; pid > 1 && depth < 64; depth++)
        {
            if (pid == RootPid)
            {
                return true;
            }
            if (!parents.TryGetValue(pid, out pid))
            {
                return false;
            }
        }
        return false;
    }

    private static int ParentOf(string dir)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(dir, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    /// <summary>Sum of VmRSS (bytes) of every process whose name or command line matches one of the patterns.</summary>
    public static long TotalRss(IReadOnlyList<string> patterns)
    {
        long total = 0;
        foreach (var dir in Candidates())
        {
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

    /// <summary>
    /// CPU seconds (user + system) used so far by the processes matching each pattern (first
    /// match wins). Differences over a scenario give CPU per operation, which stays meaningful
    /// on a machine shared with other work, unlike rates.
    /// </summary>
    public static Dictionary<string, double> CpuByPattern(IReadOnlyList<string> patterns)
    {
        var result = patterns.ToDictionary(p => p, _ => 0.0, StringComparer.Ordinal);
        foreach (var dir in Candidates())
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var pattern = patterns.FirstOrDefault(p => cmdline.Contains(p, StringComparison.Ordinal));
                if (pattern is null)
                {
                    continue;
                }
                // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[pattern] += ticks / 100.0;
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
        return result;
    }

    /// <summary>Adds <c>cpu_us_per_op_&lt;name&gt;</c> per pattern and in total to <paramref name="result"/>.</summary>
    public static void AddCpuPerOp(Dictionary<string, double> result, Dictionary<string, double> before, Dictionary<string, double> after, IReadOnlyList<string> patterns, double ops)
    {
        if (ops <= 0)
        {
            return;
        }
        double total = 0;
        foreach (var p in patterns)
        {
            var used = after[p] - before[p];
            total += used;
            if (used > 0)
            {
                result["server_cpu_us_per_op_" + p] = Math.Round(used * 1e6 / ops, 2);
            }
        }
        if (total > 0)
        {
            result["server_cpu_us_per_op"] = Math.Round(total * 1e6 / ops, 2);
        }
    }

    /// <summary>
    /// Waits until the server's processes together use less than <paramref name="coreShare"/> of
    /// one core over half a second (at most <paramref name="limit"/>), so work left over from the
    /// set-up (accepts, stats, the previous run's closes) is not counted against what is measured
    /// next. Returns how long it waited.
    /// </summary>
    public static async Task<TimeSpan> WaitForQuietAsync(IReadOnlyList<string> patterns, double coreShare, TimeSpan limit, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        if (patterns.Count == 0)
        {
            return TimeSpan.Zero;
        }
        var window = TimeSpan.FromMilliseconds(500);
        var before = CpuByPattern(patterns).Values.Sum();
        while (clock.Elapsed < limit)
        {
            await Task.Delay(window, ct).ConfigureAwait(false);
            var after = CpuByPattern(patterns).Values.Sum();
            if (after - before < coreShare * window.TotalSeconds)
            {
                break;
            }
            before = after;
        }
        return clock.Elapsed;
    }

    /// <summary>Total CPU time (user + system) this process has used.</summary>
    public static TimeSpan OwnCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
