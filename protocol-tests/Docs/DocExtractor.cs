namespace Pushpin.ProtocolTests.Docs;

/// <summary>
/// Pulls the runnable examples out of the Markdown pages in docs/. A fence whose info string is
/// <c>LANG MODE</c> is an example: <c>sh test</c> (run with bash, exit 0), <c>sh background</c>
/// (started and left running; its output is checked at the end of the page), <c>toml test</c>,
/// <c>ini test</c> (a config that must load and validate), <c>toml runner-error</c> (a config the
/// runner must refuse before starting anything), <c>routes test</c> (lines that must parse),
/// <c>python test</c> (run with python3), <c>json test</c> (a publish body the publish API must accept), <c>http woh-open</c> (a WebSocket-over-HTTP backend's
/// reply to OPEN, written with literal <c>\r\n</c>: a backend answers with it and a client must
/// connect and be subscribed), <c>http grip-response</c> (a backend's GRIP stream-hold response: a backend answers
/// with it, a client must get its body and then what is published to its channel). <c>sh background ws-subscribed</c> is a WebSocket client subscribed
/// to <c>test</c>: the run waits until it prints a probe published there.
/// A fence with info <c>output</c> right after an example holds the lines its output must contain
/// in order. Other fences (plain <c>sh</c>, <c>toml</c>...) are illustrations and not run.
/// </summary>
public static class DocExtractor
{
    private static readonly HashSet<string> Modes = new(StringComparer.Ordinal) { "test", "background", "runner-error", "woh-open", "grip-response" };

    public static string DocsDirectory => Path.Combine(Support.Artifacts.RepoRoot, "docs");

    /// <summary>The user pages (design notes and benchmarks are not user docs).</summary>
    public static IEnumerable<string> Pages() =>
        Directory.EnumerateFiles(DocsDirectory, "*.md", SearchOption.TopDirectoryOnly)
            .Select(Path.GetFileName)
            .Where(f => f is not null && f != "benchmarks.md")
            .Select(f => f!)
            .Order(StringComparer.Ordinal);

    public static IReadOnlyList<DocBlock> Extract(string page)
    {
        var lines = File.ReadAllLines(Path.Combine(DocsDirectory, page));
        var blocks = new List<DocBlock>();
        var i = 0;
        while (i < lines.Length)
        {
            if (!TryFence(lines[i], out var info))
            {
                i++;
                continue;
            }
            var start = i;
            var body = ReadFence(lines, ref i);
            var words = info.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || !Modes.Contains(words[1]))
            {
                continue;
            }
            // An output fence may follow after blank lines.
            var j = i;
            while (j < lines.Length && lines[j].Trim().Length == 0)
            {
                j++;
            }
            IReadOnlyList<string>? expected = null;
            if (j < lines.Length && TryFence(lines[j], out var nextInfo) && nextInfo == "output")
            {
                i = j;
                expected = ReadFence(lines, ref i).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
            }
            blocks.Add(new DocBlock(page, start + 1, words[0], words[1], body, expected) { Flags = words[2..] });
        }
        return blocks;
    }

    private static bool TryFence(string line, out string info)
    {
        var t = line.TrimStart();
        info = t.StartsWith("```", StringComparison.Ordinal) ? t[3..].Trim() : string.Empty;
        return t.StartsWith("```", StringComparison.Ordinal);
    }

    // From an opening fence at lines[i] to its closing fence; leaves i after the closing one.
    private static string ReadFence(string[] lines, ref int i)
    {
        var indent = lines[i].Length - lines[i].TrimStart().Length;
        var body = new List<string>();
        i++;
        while (i < lines.Length && lines[i].Trim() != "```")
        {
            var line = lines[i];
            body.Add(line.Length >= indent && line[..indent].Trim().Length == 0 ? line[indent..] : line.TrimStart());
            i++;
        }
        i++;
        return string.Join('\n', body);
    }
}
