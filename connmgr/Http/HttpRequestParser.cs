using System.Buffers;
using System.Text;
using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Http;

/// <summary>
/// HTTP/1.x request head parser: a pure function over the bytes received so far.
/// </summary>
/// <remarks>
/// Strict on purpose (RFC 9112): a proxy that is lenient where its backend is strict (or the other
/// way round) opens request-smuggling holes, so anything ambiguous is refused with a status rather
/// than guessed at.
/// </remarks>
internal static class HttpRequestParser
{
    /// <summary>connmgr forwards at most this many headers (upstream's limit).</summary>
    public const int MaxHeaders = 64;

    // Clients may send stray CRLFs between pipelined requests (RFC 9112 §2.2); bound how many we skip.
    private const int MaxLeadingEmptyLines = 8;

    /// <summary>
    /// Parses a request head from <paramref name="buffer"/>.
    /// </summary>
    /// <param name="buffer">Bytes received and not yet consumed.</param>
    /// <param name="maxHeadBytes">Limit for the request line plus headers (431 beyond it).</param>
    /// <param name="head">The parsed head when <see cref="ParseStatus.Complete"/>.</param>
    /// <param name="consumed">End of the head (start of the body) when complete; else the start.</param>
    /// <param name="examined">How far the parser looked; pass to <c>PipeReader.AdvanceTo</c>.</param>
    /// <param name="rejection">Why, when <see cref="ParseStatus.Rejected"/>.</param>
    public static ParseStatus TryParse(
        in ReadOnlySequence<byte> buffer,
        int maxHeadBytes,
        out HttpRequestHead? head,
        out SequencePosition consumed,
        out SequencePosition examined,
        out RequestRejection rejection)
    {
        head = null;
        consumed = buffer.Start;
        examined = buffer.End;
        rejection = RequestRejection.None;

        // Look at no more than the limit plus the final CRLF and the skipped leading empty lines.
        var scanLength = (int)Math.Min(buffer.Length, maxHeadBytes + 2 + (2 * MaxLeadingEmptyLines));
        if (scanLength == 0)
        {
            return ParseStatus.NeedMoreData;
        }

        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> span;
            var first = buffer.FirstSpan;
            if (first.Length >= scanLength)
            {
                span = first[..scanLength];
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent(scanLength);
                buffer.Slice(0, scanLength).CopyTo(rented);
                span = rented.AsSpan(0, scanLength);
            }

            var status = Scan(span, buffer.Length, maxHeadBytes, out var start, out var headEnd, out rejection);
            if (status != ParseStatus.Complete)
            {
                return status;
            }

            status = ParseHead(span[start..headEnd], out head, out rejection);
            if (status == ParseStatus.Complete)
            {
                consumed = buffer.GetPosition(headEnd);
                examined = consumed;
            }
            return status;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Finds the blank line ending the head, checking line endings on the way.</summary>
    private static ParseStatus Scan(ReadOnlySpan<byte> span, long available, int maxHeadBytes, out int start, out int headEnd, out RequestRejection rejection)
    {
        start = 0;
        headEnd = 0;
        rejection = RequestRejection.None;

        // Skip empty lines before the request line.
        var skipped = 0;
        while (start < span.Length && (span[start] == '\r' || span[start] == '\n'))
        {
            if (span[start] == '\n')
            {
                rejection = RequestRejection.BareLineFeed;
                return ParseStatus.Rejected;
            }
            if (start + 1 >= span.Length)
            {
                return ParseStatus.NeedMoreData;
            }
            if (span[start + 1] != '\n')
            {
                rejection = RequestRejection.MalformedRequestLine;
                return ParseStatus.Rejected;
            }
            start += 2;
            if (++skipped > MaxLeadingEmptyLines)
            {
                rejection = RequestRejection.MalformedRequestLine;
                return ParseStatus.Rejected;
            }
        }

        var pos = start;
        while (true)
        {
            var rel = span[pos..].IndexOf((byte)'\n');
            if (rel < 0)
            {
                // No complete line yet: either wait, or the head is already over the limit.
                if (available - start > maxHeadBytes + 2)
                {
                    rejection = RequestRejection.HeadersTooLarge;
                    return ParseStatus.Rejected;
                }
                return ParseStatus.NeedMoreData;
            }
            var lf = pos + rel;
            if (lf == pos || span[lf - 1] != '\r')
            {
                rejection = RequestRejection.BareLineFeed;
                return ParseStatus.Rejected;
            }
            if (lf + 1 - start > maxHeadBytes + 2)
            {
                rejection = RequestRejection.HeadersTooLarge;
                return ParseStatus.Rejected;
            }
            if (lf - 1 == pos)
            {
                // Empty line: end of head. The request line must not be empty (handled by skipping above).
                headEnd = lf + 1;
                return ParseStatus.Complete;
            }
            pos = lf + 1;
        }
    }

    private static ParseStatus ParseHead(ReadOnlySpan<byte> head, out HttpRequestHead? result, out RequestRejection rejection)
    {
        result = null;

        // Request line.
        var eol = head.IndexOf("\r\n"u8);
        var line = head[..eol];
        rejection = ParseRequestLine(line, out var method, out var target, out var minor);
        if (rejection != RequestRejection.None)
        {
            return ParseStatus.Rejected;
        }

        // One line per header: sized once instead of grown 4 → 8 → 16.
        var headers = new List<HttpHeader>(Math.Min(head.Count((byte)'\n') - 2, MaxHeaders + 1));
        string? host = null;
        var hostCount = 0;
        long contentLength = -1;
        var teCount = 0;
        var chunked = false;
        var connectionClose = false;
        var connectionKeepAlive = false;
        var expectContinue = false;

        var rest = head[(eol + 2)..];
        while (true)
        {
            eol = rest.IndexOf("\r\n"u8);
            line = rest[..eol];
            rest = rest[(eol + 2)..];
            if (line.IsEmpty)
            {
                break;
            }
            rejection = ParseHeaderLine(line, out var name, out var value);
            if (rejection != RequestRejection.None)
            {
                return ParseStatus.Rejected;
            }
            if (headers.Count == MaxHeaders)
            {
                rejection = RequestRejection.TooManyHeaders;
                return ParseStatus.Rejected;
            }
            var valueText = HeaderStrings.Value(value);
            headers.Add(new HttpHeader(HeaderStrings.Name(name), valueText));

            if (Is(name, "content-length"))
            {
                if (!TryParseContentLength(value, out var length))
                {
                    rejection = RequestRejection.InvalidContentLength;
                    return ParseStatus.Rejected;
                }
                if (contentLength >= 0 && contentLength != length)
                {
                    rejection = RequestRejection.ConflictingContentLength;
                    return ParseStatus.Rejected;
                }
                contentLength = length;
            }
            else if (Is(name, "transfer-encoding"))
            {
                teCount++;
                rejection = ParseTransferEncoding(value, ref chunked);
                if (rejection != RequestRejection.None)
                {
                    return ParseStatus.Rejected;
                }
            }
            else if (Is(name, "host"))
            {
                hostCount++;
                host = valueText;
                if (!IsValidHost(value))
                {
                    rejection = RequestRejection.InvalidHost;
                    return ParseStatus.Rejected;
                }
            }
            else if (Is(name, "connection"))
            {
                ParseConnection(value, ref connectionClose, ref connectionKeepAlive);
            }
            else if (Is(name, "expect"))
            {
                expectContinue |= Ascii.EqualsIgnoreCase(value, "100-continue"u8);
            }
        }

        if (hostCount > 1)
        {
            rejection = RequestRejection.InvalidHost;
            return ParseStatus.Rejected;
        }
        if (minor == 1 && hostCount == 0)
        {
            rejection = RequestRejection.MissingHost;
            return ParseStatus.Rejected;
        }
        if (teCount > 0 && contentLength >= 0)
        {
            rejection = RequestRejection.ContentLengthAndTransferEncoding;
            return ParseStatus.Rejected;
        }
        if (teCount > 0 && !chunked)
        {
            // Only possible with empty Transfer-Encoding values.
            rejection = RequestRejection.InvalidTransferEncoding;
            return ParseStatus.Rejected;
        }

        var framing = chunked ? BodyFraming.Chunked : contentLength >= 0 ? BodyFraming.ContentLength : BodyFraming.None;
        result = new HttpRequestHead
        {
            Method = method,
            Target = target,
            MinorVersion = minor,
            Headers = headers,
            Framing = framing,
            ContentLength = Math.Max(contentLength, 0),
            KeepAlive = minor == 1 ? !connectionClose : connectionKeepAlive && !connectionClose,
            ExpectContinue = expectContinue && minor == 1,
            Host = host,
        };
        return ParseStatus.Complete;
    }

    private static RequestRejection ParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out int minor)
    {
        method = string.Empty;
        target = string.Empty;
        minor = 0;

        var sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0)
        {
            return sp1 == 0 ? RequestRejection.MalformedRequestLine : ControlOr(line, RequestRejection.MalformedRequestLine);
        }
        var m = line[..sp1];
        foreach (var b in m)
        {
            if (!IsTokenChar(b))
            {
                return b < 0x20 || b == 0x7f ? RequestRejection.ControlCharacter : RequestRejection.InvalidMethod;
            }
        }
        var afterMethod = line[(sp1 + 1)..];
        var sp2 = afterMethod.IndexOf((byte)' ');
        if (sp2 <= 0)
        {
            return ControlOr(afterMethod, RequestRejection.MalformedRequestLine);
        }
        var t = afterMethod[..sp2];
        foreach (var b in t)
        {
            if (b < 0x21 || b == 0x7f)
            {
                return RequestRejection.ControlCharacter;
            }
            if (b >= 0x80)
            {
                return RequestRejection.InvalidTarget;
            }
        }
        var version = afterMethod[(sp2 + 1)..];
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || !IsDigit(version[5]) || version[6] != '.' || !IsDigit(version[7]))
        {
            return ControlOr(version, RequestRejection.MalformedVersion);
        }
        if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
        {
            return RequestRejection.UnsupportedVersion;
        }
        minor = version[7] - '0';

        method = HeaderStrings.Method(m);
        if (t[0] == '/')
        {
            // origin-form
        }
        else if (t.Length == 1 && t[0] == '*')
        {
            if (!m.SequenceEqual("OPTIONS"u8))
            {
                return RequestRejection.InvalidTarget;
            }
        }
        else if (!IsAbsoluteHttpUri(t))
        {
            return RequestRejection.InvalidTarget;
        }
        target = Encoding.ASCII.GetString(t);
        return RequestRejection.None;
    }

    private static bool IsAbsoluteHttpUri(ReadOnlySpan<byte> t)
    {
        int schemeLength;
        if (t.Length > 7 && Ascii.EqualsIgnoreCase(t[..7], "http://"u8))
        {
            schemeLength = 7;
        }
        else if (t.Length > 8 && Ascii.EqualsIgnoreCase(t[..8], "https://"u8))
        {
            schemeLength = 8;
        }
        else
        {
            return false;
        }
        // Needs a non-empty authority, without userinfo (RFC 9110 §4.2.4: treat it as an error)
        // or a backslash (parsers disagree on it, a classic way to confuse a backend about the host).
        var rest = t[schemeLength..];
        var end = rest.IndexOfAny("/?#"u8);
        var authority = end < 0 ? rest : rest[..end];
        return !authority.IsEmpty && !authority.ContainsAny("@\\"u8);
    }

    private static RequestRejection ParseHeaderLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        name = default;
        value = default;
        if (line[0] == ' ' || line[0] == '\t')
        {
            return RequestRejection.ObsoleteLineFolding;
        }
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return ControlOr(line, RequestRejection.MalformedHeader);
        }
        name = line[..colon];
        foreach (var b in name)
        {
            if (!IsTokenChar(b))
            {
                // Whitespace between name and colon is forbidden (RFC 9112 §5.1).
                return b < 0x20 || b == 0x7f ? RequestRejection.ControlCharacter : RequestRejection.MalformedHeader;
            }
        }
        var v = line[(colon + 1)..];
        foreach (var b in v)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7f)
            {
                return RequestRejection.ControlCharacter;
            }
        }
        value = v.Trim(" \t"u8);
        return RequestRejection.None;
    }

    private static RequestRejection ParseTransferEncoding(ReadOnlySpan<byte> value, ref bool chunked)
    {
        foreach (var range in value.Split((byte)','))
        {
            var coding = value[range].Trim(" \t"u8);
            if (coding.IsEmpty)
            {
                continue;
            }
            if (Ascii.EqualsIgnoreCase(coding, "chunked"u8))
            {
                if (chunked)
                {
                    // chunked twice is never valid.
                    return RequestRejection.InvalidTransferEncoding;
                }
                chunked = true;
            }
            else if (chunked)
            {
                // chunked must be the final coding of a request.
                return RequestRejection.InvalidTransferEncoding;
            }
            else
            {
                foreach (var b in coding)
                {
                    if (!IsTokenChar(b) && b != ';' && b != '=' && b != ' ')
                    {
                        return RequestRejection.InvalidTransferEncoding;
                    }
                }
                return RequestRejection.UnsupportedTransferEncoding;
            }
        }
        return RequestRejection.None;
    }

    private static void ParseConnection(ReadOnlySpan<byte> value, ref bool close, ref bool keepAlive)
    {
        foreach (var range in value.Split((byte)','))
        {
            var option = value[range].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(option, "close"u8))
            {
                close = true;
            }
            else if (Ascii.EqualsIgnoreCase(option, "keep-alive"u8))
            {
                keepAlive = true;
            }
        }
    }

    private static bool TryParseContentLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }
        foreach (var b in value)
        {
            if (!IsDigit(b))
            {
                return false;
            }
            length = (length * 10) + (b - '0');
        }
        return true;
    }

    private static bool IsValidHost(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b <= 0x20 || b >= 0x7f || b == '/' || b == '?' || b == '#' || b == '@' || b == '\\' || b == ',')
            {
                return false;
            }
        }
        return true;
    }

    private static RequestRejection ControlOr(ReadOnlySpan<byte> bytes, RequestRejection otherwise)
    {
        foreach (var b in bytes)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7f)
            {
                return RequestRejection.ControlCharacter;
            }
        }
        return otherwise;
    }

    private static bool Is(ReadOnlySpan<byte> name, string lowerName) => Ascii.EqualsIgnoreCase(name, lowerName);

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsTokenChar(byte b) =>
        b switch
        {
            >= (byte)'a' and <= (byte)'z' => true,
            >= (byte)'A' and <= (byte)'Z' => true,
            >= (byte)'0' and <= (byte)'9' => true,
            (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
                or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~' => true,
            _ => false,
        };
}
