namespace Pushpin.Proxy.Routing;

/// <summary>
/// One space-separated section of a routes line: a value followed by comma-separated props.
/// </summary>
/// <remarks>
/// Props keep file order and may repeat (<c>header=</c>, <c>sub=</c>); a single-valued lookup
/// takes the last occurrence, as upstream's multi-hash does.
/// </remarks>
public sealed class RouteSection
{
    private readonly List<KeyValuePair<string, string>> _props = [];

    public RouteSection(string value)
    {
        Value = value;
    }

    public string Value { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Props => _props;

    internal void Add(string name, string value) => _props.Add(new(name, value));

    public bool Has(string name)
    {
        foreach (var p in _props)
        {
            if (p.Key == name)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The last value given for <paramref name="name"/>, or null when absent.</summary>
    public string? Get(string name)
    {
        string? found = null;
        foreach (var p in _props)
        {
            if (p.Key == name)
            {
                found = p.Value;
            }
        }
        return found;
    }

    /// <summary>Every value given for <paramref name="name"/>, in file order.</summary>
    public IEnumerable<string> GetAll(string name)
    {
        foreach (var p in _props)
        {
            if (p.Key == name)
            {
                yield return p.Value;
            }
        }
    }
}
