namespace Pushpin.Common.Config;

/// <summary>
/// One parsed file before layering: section → key → raw value with its line. Both readers
/// (TOML and INI) produce this, so everything after parsing is format-independent.
/// </summary>
internal sealed class ConfigDocument
{
    public ConfigDocument(string file)
    {
        File = file;
    }

    /// <summary>The file name as the user gave it (used in messages).</summary>
    public string File { get; }

    public Dictionary<string, Dictionary<string, ConfigValue>> Sections { get; } = new(StringComparer.Ordinal);

    /// <summary>Line of each section header, for "unknown section" warnings.</summary>
    public Dictionary<string, int> SectionLines { get; } = new(StringComparer.Ordinal);

    /// <summary>Problems that do not stop loading (keys outside any section, dotted TOML keys...).</summary>
    public List<string> Warnings { get; } = [];

    public void AddSection(string section, int line)
    {
        if (!Sections.ContainsKey(section))
        {
            Sections[section] = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
            SectionLines[section] = line;
        }
    }

    /// <summary>Sets a key; a repeated key wins over the earlier one, as in upstream's INI reader.</summary>
    public void Set(string section, string key, string raw, int line)
    {
        AddSection(section, line);
        Sections[section][key] = new ConfigValue(raw, File, line);
    }
}
