using System.Text;

namespace Pushpin.Connmgr.Http;

/// <summary>
/// Shared strings for the header names, values and methods that most requests repeat, so parsing
/// a typical head allocates strings only for what is really request-specific (paths, cookies,
/// user agents...).
/// </summary>
/// <remarks>
/// Matching is exact (byte for byte, case included): zhttp forwards names with the client's case,
/// so "host" and "Host" are different entries. Anything else becomes a new Latin-1 string, which
/// round-trips every byte. Measured with tools/benchmarks HttpRequestParserBenchmarks (browser-like
/// GET, 9 headers): see docs/benchmarks.md.
/// </remarks>
internal static class HeaderStrings
{
    private static readonly string[][] Names = Build(
    [
        "Host", "User-Agent", "Accept", "Accept-Language", "Accept-Encoding", "Accept-Charset", "Cache-Control",
        "Connection", "Cookie", "Content-Type", "Content-Length", "Transfer-Encoding", "Upgrade", "Origin",
        "Referer", "Pragma", "Authorization", "If-None-Match", "If-Modified-Since", "If-Match", "Range",
        "Last-Event-ID", "Last-Event-Id", "Expect", "TE", "Keep-Alive", "DNT", "Priority", "Via", "Forwarded",
        "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol",
        "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest", "Sec-Fetch-User", "Upgrade-Insecure-Requests",
        "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP", "X-Requested-With",
        "Grip-Sig", "Grip-Last",
        // Lower-case spellings (Node.js, many libraries and every HTTP/2-to-1 gateway send these).
        "host", "user-agent", "accept", "accept-language", "accept-encoding", "cache-control", "connection",
        "cookie", "content-type", "content-length", "transfer-encoding", "upgrade", "origin", "referer",
        "pragma", "authorization", "if-none-match", "if-modified-since", "last-event-id", "expect", "te",
        "keep-alive", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
        "sec-websocket-protocol", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip",
    ]);

    private static readonly string[][] Values = Build(
    [
        "keep-alive", "Keep-Alive", "close", "Close", "Upgrade", "upgrade", "websocket", "WebSocket", "13",
        "*/*", "no-cache", "max-age=0", "text/event-stream", "application/json", "text/plain",
        "application/x-www-form-urlencoded", "gzip", "gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd",
        "br", "identity", "chunked", "100-continue", "trailers", "1", "0", "en-US,en;q=0.5", "en-US,en;q=0.9",
        "en-US", "en", "cors", "navigate", "same-origin", "same-site", "cross-site", "none", "empty", "document",
        "?1", "permessage-deflate", "permessage-deflate; client_max_window_bits",
    ]);

    private static readonly string[][] Methods = Build(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"]);

    /// <summary>The header name as a string, shared when it is a common one.</summary>
    public static string Name(ReadOnlySpan<byte> bytes) => Find(Names, bytes) ?? Encoding.Latin1.GetString(bytes);

    /// <summary>The header value as a string, shared when it is a common one.</summary>
    public static string Value(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? string.Empty : Find(Values, bytes) ?? Encoding.Latin1.GetString(bytes);

    /// <summary>The method as a string, shared for the standard ones.</summary>
    public static string Method(ReadOnlySpan<byte> bytes) => Find(Methods, bytes) ?? Encoding.ASCII.GetString(bytes);

    private static string? Find(string[][] table, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= table.Length)
        {
            return null;
        }
        foreach (var candidate in table[bytes.Length])
        {
            if (Matches(candidate, bytes))
            {
                return candidate;
            }
        }
        return null;
    }

    private static bool Matches(string candidate, ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (candidate[i] != bytes[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Buckets by length, so a lookup compares only same-length candidates.</summary>
    private static string[][] Build(string[] strings)
    {
        var buckets = new List<string>[strings.Max(s => s.Length) + 1];
        foreach (var s in strings)
        {
            (buckets[s.Length] ??= []).Add(s);
        }
        return [.. buckets.Select(b => b?.ToArray() ?? [])];
    }
}
