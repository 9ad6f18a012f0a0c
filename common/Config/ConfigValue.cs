namespace Pushpin.Common.Config;

/// <summary>A raw (unexpanded) value and where it came from, kept so errors can point at the line.</summary>
/// <param name="Raw">The value as written; TOML numbers and booleans are rendered invariantly, arrays joined with commas.</param>
/// <param name="File">The file as the user named it, or <c>(built-in)</c> for our internal defaults.</param>
/// <param name="Line">1-based line, 0 when unknown.</param>
public readonly record struct ConfigValue(string Raw, string File, int Line)
{
    internal const string BuiltIn = "(built-in)";

    /// <summary>"file:line" (or just "file" when the line is unknown).</summary>
    public string Location => Line > 0 ? $"{File}:{Line}" : File;
}
