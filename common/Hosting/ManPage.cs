using System.Reflection;
using System.Text;

namespace Pushpin.Common.Hosting;

/// <summary>
/// The <c>--help</c> text of every executable, laid out like a man page (NAME, SYNOPSIS,
/// DESCRIPTION, OPTIONS, EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO) so the six tools read alike
/// and an operator finds the same sections where <c>man</c> puts them.
/// </summary>
public sealed class ManPage
{
    private const string Indent = "       ";
    private const string OptionIndent = "              ";
    private const int Width = 80;

    /// <summary>Executable name, e.g. <c>pushpin-runner</c>.</summary>
    public required string Name { get; init; }

    /// <summary>One line after the name in NAME.</summary>
    public required string Summary { get; init; }

    /// <summary>Usage lines (without the executable name).</summary>
    public IReadOnlyList<string> Synopsis { get; init; } = ["[OPTIONS]"];

    /// <summary>Paragraphs.</summary>
    public IReadOnlyList<string> Description { get; init; } = [];

    /// <summary>Flag (as written, with its value) and what it does.</summary>
    public IReadOnlyList<(string Flag, string Text)> Options { get; init; } = [];

    /// <summary>A second option list (a daemon's own flags), titled <see cref="ExtraOptionsTitle"/>.</summary>
    public IReadOnlyList<(string Flag, string Text)> ExtraOptions { get; init; } = [];

    public string ExtraOptionsTitle { get; init; } = "DAEMON OPTIONS";

    /// <summary>A paragraph after the extra options (re-wrapped).</summary>
    public string? ExtraText { get; init; }

    public IReadOnlyList<(string Code, string Meaning)> ExitStatus { get; init; } = [];

    public IReadOnlyList<(string Name, string Meaning)> Environment { get; init; } = [];

    public IReadOnlyList<(string Path, string Meaning)> Files { get; init; } = [];

    public IReadOnlyList<string> SeeAlso { get; init; } = [];

    /// <summary>The program's version as <c>NAME VERSION</c> (the informational version of the entry assembly).</summary>
    public static string VersionLine(string name)
    {
        var assembly = Assembly.GetEntryAssembly() ?? typeof(ManPage).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "0";
        return $"{name} {version}";
    }

    /// <summary>Renders the page; every line ends with <c>\n</c>.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        Section(sb, "NAME");
        sb.Append(Indent).Append(Name).Append(" - ").Append(Summary).Append('\n');
        Section(sb, "SYNOPSIS");
        foreach (var line in Synopsis)
        {
            Wrap(sb, Name + " " + line, Indent);
        }
        if (Description.Count > 0)
        {
            Section(sb, "DESCRIPTION");
            Paragraphs(sb, Description, Indent);
        }
        if (Options.Count > 0)
        {
            Section(sb, "OPTIONS");
            OptionList(sb, Options);
        }
        if (ExtraOptions.Count > 0 || ExtraText is not null)
        {
            Section(sb, ExtraOptionsTitle);
            OptionList(sb, ExtraOptions);
            if (ExtraText is not null)
            {
                if (ExtraOptions.Count > 0)
                {
                    sb.Append('\n');
                }
                Wrap(sb, ExtraText.ReplaceLineEndings(" "), Indent);
            }
        }
        Pairs(sb, "EXIT STATUS", ExitStatus);
        Pairs(sb, "ENVIRONMENT", Environment);
        Pairs(sb, "FILES", Files);
        if (SeeAlso.Count > 0)
        {
            Section(sb, "SEE ALSO");
            Wrap(sb, string.Join(", ", SeeAlso), Indent);
        }
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title)
    {
        if (sb.Length > 0)
        {
            sb.Append('\n');
        }
        sb.Append(title).Append('\n');
    }

    private static void Paragraphs(StringBuilder sb, IReadOnlyList<string> paragraphs, string indent)
    {
        for (var i = 0; i < paragraphs.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('\n');
            }
            Wrap(sb, paragraphs[i], indent);
        }
    }

    private static void OptionList(StringBuilder sb, IReadOnlyList<(string Flag, string Text)> options)
    {
        for (var i = 0; i < options.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('\n');
            }
            sb.Append(Indent).Append(options[i].Flag).Append('\n');
            Wrap(sb, options[i].Text, OptionIndent);
        }
    }

    private static void Pairs(StringBuilder sb, string title, IReadOnlyList<(string, string)> pairs)
    {
        if (pairs.Count == 0)
        {
            return;
        }
        Section(sb, title);
        OptionList(sb, pairs);
    }

    // Greedy word wrap at Width columns; a word longer than the line stays whole.
    private static void Wrap(StringBuilder sb, string text, string indent)
    {
        var line = new StringBuilder(indent);
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > indent.Length && line.Length + 1 + word.Length > Width)
            {
                sb.Append(line).Append('\n');
                line.Clear().Append(indent);
            }
            if (line.Length > indent.Length)
            {
                line.Append(' ');
            }
            line.Append(word);
        }
        sb.Append(line).Append('\n');
    }
}
