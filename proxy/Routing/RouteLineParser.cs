using System.Text;

namespace Pushpin.Proxy.Routing;

/// <summary>
/// Splits one routes-file line into sections (upstream <c>routesfile.cpp</c> grammar).
/// </summary>
/// <remarks>
/// Sections are separated by spaces; within a section, commas separate the initial value from
/// props and props from each other; double quotes protect any of those characters and allow
/// only <c>\\</c> and <c>\"</c> escapes; <c>#</c> outside quotes ends the line. A section whose
/// first element contains <c>=</c> has an empty value and that element is read as a prop.
/// </remarks>
public static class RouteLineParser
{
    private enum State
    {
        Separator,
        InitialValue,
        Prop,
    }

    /// <summary>Parses <paramref name="line"/>; on failure returns false with upstream's error text.</summary>
    public static bool TryParse(string line, out List<RouteSection> sections, out string? error)
    {
        sections = [];
        error = null;
        var state = State.Separator;
        var index = 0;
        var part = new StringBuilder();

        while (true)
        {
            if (state == State.Separator)
            {
                while (index < line.Length && line[index] == ' ')
                {
                    index++;
                }
                if (index >= line.Length || line[index] == '#')
                {
                    return true;
                }
                state = State.InitialValue;
                continue;
            }

            // Read one element (initial value or prop), which may contain quoted runs.
            var start = index;
            part.Clear();
            int at;
            while (true)
            {
                at = line.IndexOfAny(Delimiters, index);
                if (at == -1 || line[at] != '"')
                {
                    break;
                }
                part.Append(line, index, at - index);
                at++;
                var closed = false;
                for (; at < line.Length; at++)
                {
                    var c = line[at];
                    if (c == '\\')
                    {
                        at++;
                        if (at >= line.Length)
                        {
                            error = "unterminated escape sequence";
                            return false;
                        }
                        if (line[at] is '\\' or '"')
                        {
                            part.Append(line[at]);
                        }
                        else
                        {
                            error = "unexpected escape character: " + line[at];
                            return false;
                        }
                    }
                    else if (c == '"')
                    {
                        closed = true;
                        break;
                    }
                    else
                    {
                        part.Append(c);
                    }
                }
                if (!closed)
                {
                    error = "unterminated quoted section";
                    return false;
                }
                index = at + 1;
            }

            if (at == -1)
            {
                at = line.Length;
            }
            part.Append(line, index, at - index);
            var text = part.ToString();

            if (state == State.InitialValue)
            {
                if (text.Contains('=', StringComparison.Ordinal))
                {
                    // No initial value: re-read this element as a prop.
                    sections.Add(new RouteSection(string.Empty));
                    index = start;
                    state = State.Prop;
                    continue;
                }
                sections.Add(new RouteSection(text));
            }
            else
            {
                if (text.Length == 0)
                {
                    error = "expecting prop";
                    return false;
                }
                var eq = text.IndexOf('=', StringComparison.Ordinal);
                var name = eq == -1 ? text : text[..eq];
                var value = eq == -1 ? string.Empty : text[(eq + 1)..];
                if (name.Length == 0)
                {
                    error = "empty prop name";
                    return false;
                }
                sections[^1].Add(name, value);
            }

            if (at < line.Length && line[at] == ',')
            {
                state = State.Prop;
                index = at + 1;
            }
            else
            {
                state = State.Separator;
                index = at;
            }
        }
    }

    private static readonly char[] Delimiters = ['"', ',', ' ', '#'];
}
