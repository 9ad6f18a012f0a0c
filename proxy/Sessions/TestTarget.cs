using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Http;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// The built-in <c>test</c> target (behavior.md §8.6), answered inside the proxy. Its
/// <c>/response</c> and <c>/stream</c> answers are GRIP instructs and take the same path as a
/// backend's.
/// </summary>
public static class TestTarget
{
    /// <summary>Largest request body the test target accepts.</summary>
    public const int MaxRequestBody = 100_000;

    /// <summary>The canned response for <paramref name="uri"/> (path already adjusted for path_beg).</summary>
    public static OriginResponse Respond(RequestUri uri, bool bodyTooLarge)
    {
        if (bodyTooLarge)
        {
            return Text(400, "Bad Request", "request too large\n");
        }
        var path = NormalizedPath(uri);
        var channels = Channels(uri);
        return path switch
        {
            "/" => Text(200, "OK", "Hello from the Pushpin test handler!\n"),
            "/response" => Text(200, "OK", "nothing for now\n", new HttpHeader("Grip-Hold", "response"), new HttpHeader("Grip-Channel", string.Join(", ", channels))),
            "/stream" => Text(200, "OK", "[stream opened]\n", new HttpHeader("Grip-Hold", "stream"), new HttpHeader("Grip-Channel", string.Join(", ", channels))),
            _ => Text(404, "Not Found", "no such test resource\n"),
        };
    }

    /// <summary>The path with one trailing slash removed (except for "/").</summary>
    public static string NormalizedPath(RequestUri uri)
    {
        var path = uri.Path;
        return path.Length >= 2 && path.EndsWith('/') ? path[..^1] : path;
    }

    /// <summary>The distinct <c>channel</c> query parameters, or <c>test</c> when there are none.</summary>
    public static List<string> Channels(RequestUri uri)
    {
        var channels = new List<string>();
        foreach (var item in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((eq == -1 ? item : item[..eq]).Replace('+', ' '));
            if (name == "channel")
            {
                var value = eq == -1 ? string.Empty : Uri.UnescapeDataString(item[(eq + 1)..].Replace('+', ' '));
                if (!channels.Contains(value))
                {
                    channels.Add(value);
                }
            }
        }
        if (channels.Count == 0)
        {
            channels.Add("test");
        }
        return channels;
    }

    private static OriginResponse Text(int code, string reason, string body, params HttpHeader[] extra)
    {
        var headers = new List<HttpHeader> { new("Content-Type", "text/plain") };
        headers.AddRange(extra);
        return new OriginResponse(code, reason, headers, System.Text.Encoding.UTF8.GetBytes(body));
    }
}
