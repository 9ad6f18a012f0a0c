namespace Pushpin.Handler.Http;

/// <summary>
/// An ordered HTTP header list with upstream's lookup rules (case-insensitive names, comma
/// splitting outside quotes). Names and values are Latin-1 strings so any bytes round-trip.
/// </summary>
internal sealed class HeaderList : List<KeyValuePair<string, string>>
{
    public HeaderList()
    {
    }

    public HeaderList(IEnumerable<KeyValuePair<string, string>> items)
        : base(items)
    {
    }

    public void Add(string name, string value) => Add(new KeyValuePair<string, string>(name, value));

    public bool Contains(string name)
    {
        foreach (var h in this)
        {
            if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The first value with that name, or null.</summary>
    public string? Get(string name)
    {
        foreach (var h in this)
        {
            if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return h.Value;
            }
        }
        return null;
    }

    /// <summary>All values of that name; with <paramref name="split"/> each is split on unquoted commas.</summary>
    public List<string> GetAll(string name, bool split = true)
    {
        var output = new List<string>();
        foreach (var h in this)
        {
            if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                if (split)
                {
                    SplitInto(h.Value, output);
                }
                else
                {
                    output.Add(h.Value);
                }
            }
        }
        return output;
    }

    /// <summary>The first header of that name parsed as parameters (empty when absent or empty).</summary>
    public HeaderParameters GetAsParameters(string name, bool allParameters = false)
    {
        var value = Get(name);
        if (string.IsNullOrEmpty(value))
        {
            return new HeaderParameters();
        }
        return HeaderParameters.Parse(value, allParameters) ?? new HeaderParameters();
    }

    /// <summary>Every comma-separated item of every header of that name, parsed; broken items are skipped.</summary>
    public List<HeaderParameters> GetAllAsParameters(string name, bool allParameters = false)
    {
        var output = new List<HeaderParameters>();
        foreach (var item in GetAll(name))
        {
            var p = HeaderParameters.Parse(item, allParameters);
            if (p is not null)
            {
                output.Add(p);
            }
        }
        return output;
    }

    /// <summary>The value before the first <c>;</c> of the first header of that name (e.g. a media type).</summary>
    public string? GetFirstParameter(string name)
    {
        var p = GetAsParameters(name);
        return p.IsEmpty ? null : p[0].Name;
    }

    public void RemoveAll(string name) =>
        RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    private static void SplitInto(string value, List<string> output)
    {
        var pos = 0;
        while (pos < value.Length)
        {
            var end = FindNonQuotedComma(value, pos);
            if (end != -1)
            {
                output.Add(value[pos..end].Trim());
                pos = end < value.Length ? end + 1 : value.Length;
            }
            else
            {
                output.Add(value[pos..].Trim());
                pos = value.Length;
            }
        }
    }

    // Position of the next comma outside quotes, the end of the string if none, -1 on a broken quote.
    private static int FindNonQuotedComma(string s, int offset)
    {
        var inQuote = false;
        for (var n = offset; n < s.Length; ++n)
        {
            var c = s[n];
            if (inQuote)
            {
                if (c == '\\')
                {
                    ++n;
                    if (n >= s.Length)
                    {
                        return -1;
                    }
                }
                else if (c == '"')
                {
                    inQuote = false;
                }
            }
            else if (c == '"')
            {
                inQuote = true;
            }
            else if (c == ',')
            {
                return n;
            }
        }
        return inQuote ? -1 : s.Length;
    }
}
