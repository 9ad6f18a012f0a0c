namespace Pushpin.Common.Config;

/// <summary>
/// Where to look for a config file when none is given: upstream's order (working directory's
/// <c>config/pushpin.conf</c>, <c>pushpin.conf</c>, <c>examples/config/pushpin.conf</c>), then our
/// <c>etc/pushpin.toml</c> in the working directory and in the repository the executable was built
/// from (so <c>dotnet run --project runner</c> works from anywhere in a checkout), then the
/// system install (<c>/etc/pushpin/</c>).
/// </summary>
public static class ConfigLocator
{
    /// <summary>The candidates in search order, absolute.</summary>
    public static IReadOnlyList<string> Candidates(string workingDirectory, string executableDirectory)
    {
        var list = new List<string>
        {
            Path.Combine(workingDirectory, "config", "pushpin.conf"),
            Path.Combine(workingDirectory, "pushpin.conf"),
            Path.Combine(workingDirectory, "examples", "config", "pushpin.conf"),
            Path.Combine(workingDirectory, "etc", "pushpin.toml"),
        };
        var repo = FindRepoRoot(executableDirectory);
        if (repo is not null)
        {
            list.Add(Path.Combine(repo, "etc", "pushpin.toml"));
        }
        list.Add("/etc/pushpin/pushpin.toml");
        list.Add("/etc/pushpin/pushpin.conf");
        return list;
    }

    /// <summary>The first candidate that exists, or null.</summary>
    public static string? Find(string? workingDirectory = null, string? executableDirectory = null)
    {
        foreach (var path in Candidates(workingDirectory ?? Directory.GetCurrentDirectory(), executableDirectory ?? AppContext.BaseDirectory))
        {
            if (File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }

    private static string? FindRepoRoot(string start)
    {
        var dir = new DirectoryInfo(start);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pushpin.slnx")))
            {
                return dir.FullName;
            }
            dir = dir.Parent;
        }
        return null;
    }
}
