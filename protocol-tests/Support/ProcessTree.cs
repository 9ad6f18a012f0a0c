using System.Globalization;

namespace Pushpin.ProtocolTests.Support;

/// <summary>Finds processes by parent and name through /proc (Linux), for tests that kill one daemon.</summary>
public static class ProcessTree
{
    /// <summary>Pids of the direct children of <paramref name="parentPid"/> whose command line contains <paramref name="name"/>.</summary>
    public static IReadOnlyList<int> Children(int parentPid, string name)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // pid (comm) state ppid ...: comm may contain spaces, so split after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) != parentPid)
                {
                    continue;
                }
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(name, StringComparison.Ordinal))
                {
                    result.Add(pid);
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }
        return result;
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
}
