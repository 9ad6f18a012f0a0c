using System.Text.RegularExpressions;
using NUnit.Framework;
using Pushpin.Common.Config;

namespace Pushpin.ProtocolTests.Docs;

/// <summary>docs/configuration.md lists exactly the keys the code knows, section by section, so it cannot drift.</summary>
[TestFixture]
public sealed partial class ConfigurationDocUnitTests
{
    [GeneratedRegex(@"^## \[(\w+)\]")]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"^\| `(\w+)` \|")]
    private static partial Regex KeyRow();

    private static Dictionary<string, HashSet<string>> DocumentedKeys()
    {
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string>? current = null;
        foreach (var line in File.ReadLines(Path.Combine(DocExtractor.DocsDirectory, "configuration.md")))
        {
            if (SectionHeading().Match(line) is { Success: true } heading)
            {
                current = [];
                result[heading.Groups[1].Value] = current;
            }
            else if (current is not null && KeyRow().Match(line) is { Success: true } row)
            {
                Assert.That(current.Add(row.Groups[1].Value), Is.True, $"{row.Groups[1].Value} documented twice");
            }
        }
        return result;
    }

    [Test]
    public void Every_known_key_is_documented_in_its_section()
    {
        var documented = DocumentedKeys();
        Assert.That(documented.Keys, Is.EquivalentTo(KnownKeys.Sections));
        foreach (var section in KnownKeys.Sections)
        {
            Assert.That(documented[section], Is.EquivalentTo(KnownKeys.KeysOf(section).Keys), $"[{section}]");
        }
    }

    [Test]
    public void Shipped_toml_comments_every_current_key()
    {
        // Legacy spellings, obsolete keys and sockets with no use here are documented in
        // configuration.md only; everything else is in etc/pushpin.toml with a comment above it.
        var lines = File.ReadAllLines(Path.Combine(Support.Artifacts.RepoRoot, "etc", "pushpin.toml"));
        var section = string.Empty;
        var found = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
                found[section] = [];
                continue;
            }
            var m = Regex.Match(line, @"^#?\s*(\w+)\s*=");
            if (!m.Success || section.Length == 0)
            {
                continue;
            }
            // A comment line above, or the key is one of a commented group.
            var j = i - 1;
            while (j >= 0 && Regex.IsMatch(lines[j].Trim(), @"^#?\s*\w+\s*="))
            {
                j--;
            }
            Assert.That(j >= 0 && lines[j].TrimStart().StartsWith('#'), Is.True, $"etc/pushpin.toml:{i + 1}: [{section}] {m.Groups[1].Value} has no comment");
            found[section].Add(m.Groups[1].Value);
        }
        foreach (var s in KnownKeys.Sections)
        {
            var expected = KnownKeys.KeysOf(s)
                .Where(k => k.Value is not KeyKind.Obsolete and not KeyKind.UnusedSockets && !k.Key.StartsWith("condure_", StringComparison.Ordinal))
                .Select(k => k.Key)
                .Where(k => !(s == "handler" && k == "push_in_sub_spec") && !(s == "runner" && k == "rundir"));
            Assert.That(found.GetValueOrDefault(s) ?? [], Is.SupersetOf(expected), $"[{s}] keys missing from etc/pushpin.toml");
        }
    }
}
