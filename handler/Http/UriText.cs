namespace Pushpin.Handler.Http;

/// <summary>URI string helpers that keep the text as given (no normalisation by <see cref="Uri"/>).</summary>
internal static class UriText
{
    /// <summary>The URI without its query (a fragment, if any, is kept), as upstream's <c>setQuery(QString())</c>.</summary>
    public static string WithoutQuery(string uri)
    {
        var query = uri.IndexOf('?', StringComparison.Ordinal);
        if (query < 0)
        {
            return uri;
        }
        var fragment = uri.IndexOf('#', query);
        return fragment < 0 ? uri[..query] : string.Concat(uri.AsSpan(0, query), uri.AsSpan(fragment));
    }
}
