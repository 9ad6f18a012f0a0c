using System.Text.RegularExpressions;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Tools;

/// <summary>Every executable answers <c>--help</c> with a man-style page and <c>--version</c> with its version, and exits 0 without starting anything.</summary>
[TestFixture]
public sealed class ManPageTests
{
    private static readonly string[] Executables =
        ["pushpin-runner", "pushpin-connmgr", "pushpin-proxy", "pushpin-handler", "pushpin-publish", "pushpin-stats"];

    [TestCaseSource(nameof(Executables))]
    [CancelAfter(60_000)]
    public async Task Help_is_a_man_page(string exe)
    {
        await using var process = ChildProcess.Start(Artifacts.Executable(exe), ["--help"]);
        Assert.That(await process.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, process.Output);
        var lines = process.Lines.ToList();
        Assert.That(lines[0], Is.EqualTo("NAME"), process.Output);
        Assert.That(lines[1], Does.StartWith($"       {exe} - "));
        var sections = lines.Where(l => Regex.IsMatch(l, "^[A-Z][A-Z ]+$")).ToList();
        Assert.That(sections, Is.SupersetOf(new[] { "NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO" }));
        Assert.That(lines, Has.Some.EqualTo("       -h, --help"));
        // Wrapped at 80 columns after NAME (a single long word may stick out).
        Assert.That(lines.Skip(2).Where(l => l.Length > 80 && l.Trim().Contains(' ', StringComparison.Ordinal)), Is.Empty);
    }

    [TestCaseSource(nameof(Executables))]
    [CancelAfter(60_000)]
    public async Task Version_prints_name_and_version(string exe)
    {
        await using var process = ChildProcess.Start(Artifacts.Executable(exe), ["--version"]);
        Assert.That(await process.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, process.Output);
        Assert.That(process.Lines, Has.Count.EqualTo(1), process.Output);
        Assert.That(process.Lines.Single(), Does.Match($@"^{exe} \d+\.\d+\.\d+"));
    }
}
