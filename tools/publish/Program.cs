namespace Pushpin.Publish;

/// <summary>Entry point (placeholder until the daemon is built).</summary>
public static class Program
{
    public static int Main(string[] args) => args.Length == 0 ? 0 : 0;
}
