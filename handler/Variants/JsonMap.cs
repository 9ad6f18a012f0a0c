namespace Pushpin.Handler.Variants;

/// <summary>
/// A dictionary that came from JSON (upstream's VariantMap). Parsers tell JSON input apart from
/// TNetString input (plain <see cref="Dictionary{TKey, TValue}"/>) because some fields
/// (<c>body-bin</c>, <c>content-bin</c>) mean different things in the two.
/// </summary>
internal sealed class JsonMap : Dictionary<string, object?>
{
    public JsonMap()
        : base(StringComparer.Ordinal)
    {
    }
}
