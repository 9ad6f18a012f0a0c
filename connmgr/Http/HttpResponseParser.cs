using System.Buffers;
using System.Text;

namespace Pushpin.Connmgr.Http;

/// <summary>
/// Parses a backend's response head (client mode). More lenient than the request parser about
/// line endings (a bare LF ends a line, as most clients accept), strict about framing headers.
/// </summary>
internal static class HttpResponseParser
{
    /// <summary>Parses a head from <paramref name="buffer"/>; <paramref name="error"/> says why on rejection.</summary>
    public static ParseStatus TryParse(in ReadOnlySequence<byte> buffer, int maxHeadBytes, out HttpResponseHead? head, out SequencePosition consumed, out string? error)
    {
        head = null;
        error = null;
        consumed = buffer.Start;
        var scan = (int)Math.Min(buffer.Length, maxHeadBytes + 4);
        var bytes = buffer.Slice(0, scan).ToArray();
        var end = FindEnd(bytes, out var endLength);
        if (end < 0)
        {
            if (buffer.Length > maxHeadBytes)
            {
                error = "response head too large";
                return ParseStatus.Rejected;
            }
            return ParseStatus.NeedMoreData;
        }
        var text = Encoding.Latin1.GetString(bytes, 0, end);
        var lines = text.Split('\n');
        var statusLine = lines[0].TrimEnd('\r');
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal) || statusLine[8] != ' '
            || !char.IsAsciiDigit(statusLine[7]) || !int.TryParse(statusLine.AsSpan(9, 3), out var code) || code < 100
            || (statusLine.Length > 12 && statusLine[12] != ' '))
        {
            error = "malformed status line";
            return ParseStatus.Rejected;
        }
        var reason = statusLine.Length > 13 ? statusLine[13..] : string.Empty;
        var headers = new List<HeaderField>();
        long contentLength = -1;
        var chunked = false;
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] == ' ' || line[0] == '\t' || line[..colon].Contains(' ', StringComparison.Ordinal))
            {
                error = "malformed header line";
                return ParseStatus.Rejected;
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            headers.Add(new HeaderField(name, value));
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
                    || (contentLength >= 0 && contentLength != n))
                {
                    error = "bad Content-Length";
                    return ParseStatus.Rejected;
                }
                contentLength = n;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.EndsWith("chunked", StringComparison.OrdinalIgnoreCase);
            }
        }
        head = new HttpResponseHead
        {
            MinorVersion = statusLine[7] - '0',
            Code = code,
            Reason = reason,
            Headers = headers,
            // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3).
            ContentLength = chunked ? -1 : contentLength,
            Chunked = chunked,
        };
        consumed = buffer.GetPosition(end + endLength);
        return ParseStatus.Complete;
    }

    /// <summary>Index of the blank line ending the head and the length of that terminator.</summary>
    private static int FindEnd(ReadOnlySpan<byte> bytes, out int length)
    {
        length = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != '\n')
            {
                continue;
            }
            if (i + 1 < bytes.Length && bytes[i + 1] == '\n')
            {
                length = 2;
                return i;
            }
            if (i + 2 < bytes.Length && bytes[i + 1] == '\r' && bytes[i + 2] == '\n')
            {
                length = 3;
                return i;
            }
        }
        return -1;
    }
}
