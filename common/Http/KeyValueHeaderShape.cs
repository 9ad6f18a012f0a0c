namespace Pushpin.Common.Http;

/// <summary>Name/value pairs (the handler's header lists) as an <see cref="IHeaderShape{T}"/>.</summary>
public readonly struct KeyValueHeaderShape : IHeaderShape<KeyValuePair<string, string>>
{
    public static string Name(KeyValuePair<string, string> header) => header.Key;

    public static string Value(KeyValuePair<string, string> header) => header.Value;

    public static KeyValuePair<string, string> Create(string name, string value) => new(name, value);
}
