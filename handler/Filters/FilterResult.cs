namespace Pushpin.Handler.Filters;

/// <summary>The outcome of a filter chain: drop or send (with possibly rewritten content), or an error.</summary>
internal readonly record struct FilterResult(bool Drop, byte[] Content, string? Error)
{
    public static FilterResult Failed(string error) => new(false, [], error);
}
