using BenchmarkDotNet.Running;

namespace Pushpin.Benchmarks;

/// <summary>Runs the BenchmarkDotNet suites; pass <c>--filter *Name*</c> to pick some.</summary>
public static class BenchmarkProgram
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
