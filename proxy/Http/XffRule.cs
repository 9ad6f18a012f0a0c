namespace Pushpin.Proxy.Http;

/// <summary>An <c>x_forwarded_for</c> rule: <c>truncate:N</c> and/or <c>append</c>.</summary>
public sealed record XffRule(int Truncate, bool Append)
{
    public static XffRule None { get; } = new(-1, false);

    /// <summary>Parses a comma list such as <c>truncate:0,append</c>; unknown items are ignored.</summary>
    public static XffRule Parse(string? value)
    {
        var truncate = -1;
        var append = false;
        foreach (var raw in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw == "append")
            {
                append = true;
            }
            else if (raw.StartsWith("truncate:", StringComparison.Ordinal) && int.TryParse(raw.AsSpan(9), out var n) && n >= 0)
            {
                truncate = n;
            }
        }
        return new XffRule(truncate, append);
    }
}
