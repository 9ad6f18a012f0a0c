namespace Pushpin.Common.Http;

/// <summary>
/// How a header type is read and made, so header rules shared by the daemons (e.g.
/// <see cref="CorsHeaders"/>) work on each daemon's own header lists without converting them.
/// </summary>
public interface IHeaderShape<T>
{
    static abstract string Name(T header);

    static abstract string Value(T header);

    static abstract T Create(string name, string value);
}
