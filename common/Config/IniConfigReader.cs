namespace Pushpin.Common.Config;

/// <summary>
/// Reads upstream's <c>pushpin.conf</c> (Qt-style INI): <c>[section]</c> headers,
/// <c>key=value</c> lines, <c>#</c> or <c>;</c> comment lines. Written by hand rather than with
/// Microsoft.Extensions.Configuration.Ini because errors must name the line.
/// </summary>
internal static class IniConfigReader
{
    public static ConfigDocument Read(string text, string file)
    {
        var doc = new ConfigDocument(file);
        string? section = null;
        var lineNo = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNo++;
            var line = rawLine.Trim();
            if (line.IsEmpty || line[0] == '#' || line[0] == ';')
            {
                continue;
            }
            if (line[0] == '[')
            {
                var close = line.IndexOf(']');
                if (close < 0)
                {
                    throw new ConfigException($"{file}:{lineNo}: section header '{line.ToString()}' has no closing ']'");
                }
                section = line[1..close].Trim().ToString();
                doc.AddSection(section, lineNo);
                continue;
            }
            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                throw new ConfigException($"{file}:{lineNo}: expected 'key=value', found '{line.ToString()}'");
            }
            var key = line[..eq].Trim().ToString();
            var value = Unquote(line[(eq + 1)..].Trim());
            if (section is null)
            {
                doc.Warnings.Add($"{file}:{lineNo}: {key}: key outside any [section], ignored");
                continue;
            }
            doc.Set(section, key, value, lineNo);
        }
        return doc;
    }

    // Qt's INI writer quotes values holding special characters; the quotes are not part of the value.
    private static string Unquote(ReadOnlySpan<char> value)
    {
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            return value[1..^1].ToString().Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
        }
        return value.ToString();
    }
}
