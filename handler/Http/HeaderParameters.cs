namespace Pushpin.Handler.Http;

/// <summary>
/// A parsed header value such as <c>name; a=1; b="x y"</c> (upstream's HttpHeaderParameters):
/// the first item is the bare value unless parsed in "all parameters" mode.
/// </summary>
internal sealed class HeaderParameters
{
    private readonly List<HeaderParameter> _items = [];

    public int Count => _items.Count;

    public HeaderParameter this[int index] => _items[index];

    public bool IsEmpty => _items.Count == 0;

    public void Add(HeaderParameter p) => _items.Add(p);

    /// <summary>Case-insensitive lookup of a parameter name (first match).</summary>
    public bool Contains(string name)
    {
        foreach (var p in _items)
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Value of the first parameter with that name, or null.</summary>
    public string? Get(string name)
    {
        foreach (var p in _items)
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value ?? string.Empty;
            }
        }
        return null;
    }

    /// <summary>
    /// Parses one header item. When <paramref name="allParameters"/> is false the text before the
    /// first <c>;</c> is taken verbatim as the first item (so values like <c>&lt;url&gt;</c> or
    /// keep-alive payloads keep their <c>=</c> characters). Returns null on a broken quoted string.
    /// </summary>
    public static HeaderParameters? Parse(string input, bool allParameters = false)
    {
        var output = new HeaderParameters();
        var start = 0;
        if (!allParameters)
        {
            var semi = input.IndexOf(';', StringComparison.Ordinal);
            if (semi != -1)
            {
                output.Add(new HeaderParameter(input[..semi].Trim(), null));
                start = semi + 1;
            }
            else
            {
                output.Add(new HeaderParameter(input.Trim(), null));
                start = input.Length;
            }
        }

        while (start < input.Length)
        {
            string name;
            string? value = null;
            var at = input.IndexOfAny(['=', ';'], start);
            if (at != -1)
            {
                name = input[start..at].Trim();
                if (input[at] == '=')
                {
                    ++at;
                    if (at < input.Length && input[at] == '"')
                    {
                        ++at;
                        var sb = new System.Text.StringBuilder();
                        var complete = false;
                        for (var n = at; n < input.Length; ++n)
                        {
                            if (input[n] == '\\')
                            {
                                if (n + 1 >= input.Length)
                                {
                                    return null;
                                }
                                ++n;
                                sb.Append(input[n]);
                            }
                            else if (input[n] == '"')
                            {
                                complete = true;
                                at = n + 1;
                                break;
                            }
                            else
                            {
                                sb.Append(input[n]);
                            }
                        }
                        if (!complete)
                        {
                            return null;
                        }
                        value = sb.ToString();
                        var next = input.IndexOf(';', at);
                        start = next != -1 ? next + 1 : input.Length;
                    }
                    else
                    {
                        var next = input.IndexOf(';', at);
                        if (next != -1)
                        {
                            value = input[at..next].Trim();
                            start = next + 1;
                        }
                        else
                        {
                            value = input[at..].Trim();
                            start = input.Length;
                        }
                    }
                }
                else
                {
                    start = at + 1;
                }
            }
            else
            {
                name = input[start..].Trim();
                start = input.Length;
            }
            output.Add(new HeaderParameter(name, value));
        }
        return output;
    }
}
