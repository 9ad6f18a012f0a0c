using System.Globalization;
using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.WebSockets;

/// <summary>The header rules of WebSocket-over-HTTP requests and responses (behavior.md §7.3), as pure helpers.</summary>
internal static class WebSocketOverHttpRules
{
    /// <summary>Keep-alive intervals below this many seconds are raised to it.</summary>
    public const int MinKeepAliveInterval = 20;

    /// <summary>Largest response body accepted.</summary>
    public const int ResponseBodyMax = 1_000_000;

    /// <summary>A rejected OPEN's body is relayed to the client cut to this size.</summary>
    public const int RejectBodyMax = 100_000;

    /// <summary>Outgoing and incoming buffer size per connection.</summary>
    public const int BufferSize = 200_000;

    /// <summary>A response carries events only with status 200 and exactly this content type (no parameters).</summary>
    public static bool IsEventsResponse(int status, IEnumerable<HttpHeader> headers) =>
        status == 200 && Get(headers, "Content-Type") == WebSocketEventCodec.ContentType;

    /// <summary>Applies a response's Keep-Alive-Interval to the current interval.</summary>
    /// <param name="current">The interval in force (seconds, or -1 for none); kept when the header is absent.</param>
    /// <returns>The new interval: ≥ 20, or -1 when the header is present but not a positive integer.</returns>
    public static int ApplyKeepAliveInterval(IEnumerable<HttpHeader> headers, int current)
    {
        var value = Get(headers, "Keep-Alive-Interval");
        if (value is null)
        {
            return current;
        }

        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
        {
            return -1;
        }

        return Math.Max(seconds, MinKeepAliveInterval);
    }

    /// <summary>Applies <c>Set-Meta-&lt;Name&gt;</c> headers to the connection meta: set, or delete when empty.</summary>
    /// <param name="meta">Name → value, in insertion order; names compare case-insensitively.</param>
    public static void ApplySetMeta(IEnumerable<HttpHeader> responseHeaders, List<HttpHeader> meta)
    {
        ArgumentNullException.ThrowIfNull(responseHeaders);
        ArgumentNullException.ThrowIfNull(meta);
        foreach (var header in responseHeaders)
        {
            if (header.Name.Length <= 9 || !header.Name.StartsWith("Set-Meta-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var name = header.Name[9..];
            meta.RemoveAll(m => m.Is(name));
            if (header.Value.Length > 0)
            {
                meta.Add(new HttpHeader(name, header.Value));
            }
        }
    }

    /// <summary>The client handshake headers to forward on every request, minus the ones WOH owns.</summary>
    public static List<HttpHeader> SanitizeRequestHeaders(IEnumerable<HttpHeader> clientHeaders)
    {
        ArgumentNullException.ThrowIfNull(clientHeaders);
        var result = new List<HttpHeader>();
        foreach (var header in clientHeaders)
        {
            if (header.Is("Upgrade") || header.Is("Connection") || header.Is("Accept") || header.Is("Connection-Id")
                || header.Is("Content-Length") || header.Name.StartsWith("Meta-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            result.Add(header);
        }

        return result;
    }

    /// <summary>The headers WOH adds to every request (after the sanitized client headers).</summary>
    /// <param name="replayed">Content bytes re-sent from the previous request; 0 = header omitted.</param>
    public static List<HttpHeader> RequestHeaders(string connectionId, int contentLength, int replayed, IEnumerable<HttpHeader> meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var result = new List<HttpHeader>
        {
            new("Accept", WebSocketEventCodec.ContentType),
            new("Connection-Id", connectionId),
            new("Content-Type", WebSocketEventCodec.ContentType),
            new("Content-Length", contentLength.ToString(CultureInfo.InvariantCulture)),
        };
        if (replayed > 0)
        {
            result.Add(new HttpHeader("Content-Bytes-Replayed", replayed.ToString(CultureInfo.InvariantCulture)));
        }

        foreach (var m in meta)
        {
            result.Add(new HttpHeader("Meta-" + m.Name, m.Value));
        }

        return result;
    }

    /// <summary>The headers of an accepting OPEN response that the client's 101 must not carry.</summary>
    public static List<HttpHeader> StripOpenResponseHeaders(IEnumerable<HttpHeader> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var result = new List<HttpHeader>();
        foreach (var header in headers)
        {
            if (header.Is("Content-Length") || header.Is("Content-Type") || header.Is("Keep-Alive-Interval")
                || header.Is("Sec-WebSocket-Extensions")
                || (header.Name.Length > 9 && header.Name.StartsWith("Set-Meta-", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            result.Add(header);
        }

        return result;
    }

    /// <summary>Checks the events of the response to the OPEN request.</summary>
    /// <remarks>There must be events starting with OPEN, or none at all but a keep-alive interval.</remarks>
    public static bool IsValidOpenResponse(IReadOnlyList<WebSocketEvent> events, int keepAliveInterval, out string? error)
    {
        ArgumentNullException.ThrowIfNull(events);
        error = null;
        if (events.Count == 0)
        {
            if (keepAliveInterval == -1)
            {
                error = "OPEN response has no events and no Keep-Alive-Interval";
                return false;
            }

            return true;
        }

        if (events[0].Type != WebSocketEventType.Open)
        {
            error = "OPEN response does not start with OPEN";
            return false;
        }

        return true;
    }

    /// <summary>Works out what the backend accepted from a request (Content-Bytes-Accepted, Pushpin ≥ 1.41).</summary>
    /// <param name="contentBytes">Message content bytes in the request.</param>
    /// <param name="closeContentBytes">Content bytes of the request's trailing CLOSE (0 for bare CLOSE).</param>
    /// <param name="hadClose">The request ended with CLOSE.</param>
    /// <remarks>
    /// Absent (or not a non-negative integer) means everything was accepted. Accepting more than
    /// was offered is an error, and so is accepting all content but not the close after it: partial
    /// acceptance exists so the backend can wait for more data, and after a close none will come.
    /// </remarks>
    public static bool TryEvaluateContentBytesAccepted(
        IEnumerable<HttpHeader> headers,
        int contentBytes,
        int closeContentBytes,
        bool hadClose,
        out ContentAcceptance acceptance,
        out string? error)
    {
        acceptance = default;
        error = null;
        var offered = contentBytes + (hadClose ? closeContentBytes : 0);
        var accepted = offered;
        var value = Get(headers, "Content-Bytes-Accepted");
        if (value is not null)
        {
            if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var x))
            {
                accepted = x;
            }

            if (accepted > offered)
            {
                error = $"Content-Bytes-Accepted {accepted} is more than the {offered} offered";
                return false;
            }
        }

        var contentAccepted = Math.Min(accepted, contentBytes);
        var closeAccepted = false;
        if (hadClose && contentAccepted == contentBytes)
        {
            if (accepted < offered)
            {
                error = "backend accepted all content but not the close after it";
                return false;
            }

            closeAccepted = true;
        }

        acceptance = new ContentAcceptance(contentAccepted, contentBytes - contentAccepted, closeAccepted);
        return true;
    }

    private static string? Get(IEnumerable<HttpHeader> headers, string name)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var header in headers)
        {
            if (header.Is(name))
            {
                return header.Value;
            }
        }

        return null;
    }
}
