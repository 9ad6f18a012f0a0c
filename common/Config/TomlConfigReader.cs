using System.Globalization;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Pushpin.Common.Config;

/// <summary>
/// Reads <c>pushpin.toml</c> through Tomlyn's syntax tree (not the object model) so that each
/// value keeps its line for error messages. Scalars are rendered to the same text an INI file
/// would hold, and arrays are joined with commas, so TOML and INI files mean the same thing.
/// </summary>
internal static class TomlConfigReader
{
    /// <summary>Parses <paramref name="text"/>; returns null (and no exception) when it is not valid TOML.</summary>
    public static ConfigDocument? TryRead(string text, string file, out string? error)
    {
        var syntax = SyntaxParser.Parse(text, file, false);
        if (syntax.HasErrors)
        {
            var first = syntax.Diagnostics.FirstOrDefault(d => d.Kind == DiagnosticMessageKind.Error);
            error = first is null ? $"{file}: not valid TOML" : $"{file}:{first.Span.Start.Line + 1}: {first.Message}";
            return null;
        }
        error = null;
        var doc = new ConfigDocument(file);
        foreach (var kv in syntax.KeyValues)
        {
            doc.Warnings.Add($"{file}:{LineOf(kv)}: {kv.Key}: key outside any [section], ignored");
        }
        foreach (var table in syntax.Tables)
        {
            var line = LineOf(table);
            var section = table.Name is null ? null : KeyText(table.Name);
            if (table is not TableSyntax || section is null)
            {
                doc.Warnings.Add($"{file}:{line}: [{table.Name}]: only plain [section] tables are used, ignored");
                continue;
            }
            doc.AddSection(section, line);
            foreach (var kv in table.Items)
            {
                var key = kv.Key is null ? null : KeyText(kv.Key);
                if (key is null)
                {
                    doc.Warnings.Add($"{file}:{LineOf(kv)}: [{section}] {kv.Key}: dotted keys are not used, ignored");
                    continue;
                }
                doc.Set(section, key, Render(kv.Value, file, LineOf(kv), section, key), LineOf(kv));
            }
        }
        return doc;
    }

    private static int LineOf(SyntaxNode node) => node.Span.Start.Line + 1;

    private static string? KeyText(KeySyntax key)
    {
        if (key.DotKeys.ChildrenCount > 0)
        {
            return null;
        }
        return key.Key switch
        {
            BareKeySyntax bare => bare.Key?.Text,
            StringValueSyntax quoted => quoted.Value,
            _ => null,
        };
    }

    private static string Render(ValueSyntax? value, string file, int line, string section, string key)
    {
        switch (value)
        {
            case StringValueSyntax s:
                return s.Value ?? string.Empty;
            case IntegerValueSyntax i:
                return i.Value.ToString(CultureInfo.InvariantCulture);
            case BooleanValueSyntax b:
                return b.Value ? "true" : "false";
            case FloatValueSyntax f:
                return f.Value.ToString(CultureInfo.InvariantCulture);
            case ArraySyntax a:
                var parts = new List<string>();
                foreach (var item in a.Items)
                {
                    if (item.Value is ArraySyntax)
                    {
                        throw new ConfigException($"{file}:{line}: [{section}] {key}: nested arrays are not supported");
                    }
                    parts.Add(Render(item.Value, file, line, section, key));
                }
                return string.Join(',', parts);
            default:
                throw new ConfigException($"{file}:{line}: [{section}] {key}: unsupported value type (use a string, number, boolean or array)");
        }
    }
}
