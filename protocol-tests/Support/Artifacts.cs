namespace Pushpin.ProtocolTests.Support;

/// <summary>Where the built executables are (artifacts/bin at the repository root).</summary>
public static class Artifacts
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string BinDir => Path.Combine(RepoRoot, "artifacts", "bin");

    /// <summary>Path of an apphost such as <c>pushpin-runner</c>.</summary>
    public static string Executable(string name)
    {
        var path = Path.Combine(BinDir, name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{name} is not built; run dotnet build first", path);
        }
        return path;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pushpin.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root (Pushpin.slnx) not found");
    }
}
