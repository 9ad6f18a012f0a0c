using Pushpin.Common.Zhttp;

namespace Pushpin.Common.Http;

/// <summary><see cref="HttpHeader"/> (zhttp packets, the proxy) as an <see cref="IHeaderShape{T}"/>.</summary>
public readonly struct HttpHeaderShape : IHeaderShape<HttpHeader>
{
    public static string Name(HttpHeader header) => header.Name;

    public static string Value(HttpHeader header) => header.Value;

    public static HttpHeader Create(string name, string value) => new(name, value);
}
