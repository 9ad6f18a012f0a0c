namespace Pushpin.Common.Zhttp;

/// <summary>
/// One header as it travels in zhttp: name and value kept as Latin-1 strings, so any byte
/// survives a round trip and case and order are preserved.
/// </summary>
public readonly record struct HttpHeader(string Name, string Value)
{
    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);
}
