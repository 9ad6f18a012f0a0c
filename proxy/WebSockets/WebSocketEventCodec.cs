using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Pushpin.Proxy.WebSockets;

/// <summary>Reads and writes <c>application/websocket-events</c> bodies (behavior.md §7.3).</summary>
/// <remarks>
/// Grammar: events back to back, each <c>TYPE\r\n</c> or <c>TYPE &lt;hex-len&gt;\r\n&lt;content&gt;\r\n</c>.
/// Lengths are written lowercase and read in any case. Upstream tolerates a missing CRLF after
/// the last event's content, so at the very end of a body that is accepted too; anything else
/// after content that is not CRLF is an error.
/// </remarks>
internal static class WebSocketEventCodec
{
    /// <summary>Longest type line we wait for before calling the input garbage.</summary>
    public const int MaxTypeLine = 64;

    public const string ContentType = "application/websocket-events";

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    /// <summary>Decodes the next event.</summary>
    /// <param name="isFinalBlock">True when <paramref name="input"/> is the whole rest of the body.</param>
    /// <param name="consumed">Where the next event starts (on <see cref="WebSocketEventParseStatus.Done"/>).</param>
    public static WebSocketEventParseStatus TryRead(
        in ReadOnlySequence<byte> input,
        bool isFinalBlock,
        out WebSocketEvent evt,
        out SequencePosition consumed,
        out string? error)
    {
        evt = default;
        consumed = input.Start;
        error = null;
        var reader = new SequenceReader<byte>(input);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lineSeq, Crlf, advancePastDelimiter: true))
        {
            if (input.Length > MaxTypeLine)
            {
                error = "event line too long or missing CRLF";
                return WebSocketEventParseStatus.Error;
            }

            if (isFinalBlock)
            {
                error = input.IsEmpty ? "no event" : "event line without CRLF";
                return WebSocketEventParseStatus.Error;
            }

            return WebSocketEventParseStatus.NeedMoreData;
        }

        if (lineSeq.Length > MaxTypeLine)
        {
            error = "event line too long";
            return WebSocketEventParseStatus.Error;
        }

        Span<byte> line = stackalloc byte[(int)lineSeq.Length];
        lineSeq.CopyTo(line);
        var space = line.IndexOf((byte)' ');
        var name = space < 0 ? line : line[..space];
        if (name.IsEmpty)
        {
            error = "empty event type";
            return WebSocketEventParseStatus.Error;
        }

        var type = TypeOf(name);
        var typeName = type == WebSocketEventType.Unknown ? Encoding.Latin1.GetString(name) : NameOf(type);
        if (space < 0)
        {
            evt = new WebSocketEvent(type, ReadOnlySequence<byte>.Empty, false, typeName);
            consumed = reader.Position;
            return WebSocketEventParseStatus.Done;
        }

        if (!TryParseHex(line[(space + 1)..], out var length))
        {
            error = "event length is not a hex number";
            return WebSocketEventParseStatus.Error;
        }

        if (reader.Remaining < length)
        {
            if (isFinalBlock)
            {
                error = "event content shorter than its length";
                return WebSocketEventParseStatus.Error;
            }

            return WebSocketEventParseStatus.NeedMoreData;
        }

        var content = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        if (reader.Remaining < 2)
        {
            if (reader.Remaining == 0 && isFinalBlock)
            {
                // Upstream accepts a body whose last content is not followed by CRLF.
                evt = new WebSocketEvent(type, content, true, typeName);
                consumed = reader.Position;
                return WebSocketEventParseStatus.Done;
            }

            if (isFinalBlock || (reader.Remaining == 1 && !reader.IsNext((byte)'\r')))
            {
                error = "event content not followed by CRLF";
                return WebSocketEventParseStatus.Error;
            }

            return WebSocketEventParseStatus.NeedMoreData;
        }

        if (!reader.IsNext(Crlf, advancePast: true))
        {
            error = "event content not followed by CRLF";
            return WebSocketEventParseStatus.Error;
        }

        evt = new WebSocketEvent(type, content, true, typeName);
        consumed = reader.Position;
        return WebSocketEventParseStatus.Done;
    }

    /// <summary>Decodes a whole body (responses arrive whole and are capped at 1,000,000 bytes).</summary>
    public static bool TryDecodeAll(ReadOnlyMemory<byte> body, out List<WebSocketEvent> events, out string? error)
    {
        events = [];
        error = null;
        var seq = new ReadOnlySequence<byte>(body);
        while (!seq.IsEmpty)
        {
            if (TryRead(seq, true, out var evt, out var consumed, out error) != WebSocketEventParseStatus.Done)
            {
                events.Clear();
                return false;
            }

            events.Add(evt);
            seq = seq.Slice(consumed);
        }

        return true;
    }

    /// <summary>Writes <c>TYPE\r\n</c>.</summary>
    public static void Write(IBufferWriter<byte> output, WebSocketEventType type)
    {
        ArgumentNullException.ThrowIfNull(output);
        var name = NameBytes(type);
        var span = output.GetSpan(name.Length + 2);
        name.CopyTo(span);
        Crlf.CopyTo(span[name.Length..]);
        output.Advance(name.Length + 2);
    }

    /// <summary>Writes <c>TYPE &lt;hex&gt;\r\n&lt;content&gt;\r\n</c> (lowercase hex).</summary>
    public static void Write(IBufferWriter<byte> output, WebSocketEventType type, ReadOnlySpan<byte> content)
    {
        ArgumentNullException.ThrowIfNull(output);
        var name = NameBytes(type);
        var span = output.GetSpan(name.Length + 1 + 8 + 2 + content.Length + 2);
        name.CopyTo(span);
        var pos = name.Length;
        span[pos++] = (byte)' ';
        Utf8Formatter.TryFormat(content.Length, span[pos..], out var digits, new StandardFormat('x'));
        pos += digits;
        Crlf.CopyTo(span[pos..]);
        pos += 2;
        content.CopyTo(span[pos..]);
        pos += content.Length;
        Crlf.CopyTo(span[pos..]);
        output.Advance(pos + 2);
    }

    /// <summary>Writes a message event as upstream does: PING/PONG omit empty content, TEXT/BINARY never do.</summary>
    public static void WriteMessage(IBufferWriter<byte> output, WebSocketEventType type, ReadOnlySpan<byte> content)
    {
        if (content.IsEmpty && type is WebSocketEventType.Ping or WebSocketEventType.Pong)
        {
            Write(output, type);
        }
        else
        {
            Write(output, type, content);
        }
    }

    /// <summary>Writes CLOSE with a 2-byte big-endian code and UTF-8 reason, or bare CLOSE when <paramref name="code"/> is null.</summary>
    public static void WriteClose(IBufferWriter<byte> output, int? code, string? reason)
    {
        if (code is not { } c)
        {
            Write(output, WebSocketEventType.Close);
            return;
        }

        Write(output, WebSocketEventType.Close, CloseContent(c, reason));
    }

    /// <summary>The content of a CLOSE event: code (big-endian) then the UTF-8 reason.</summary>
    public static byte[] CloseContent(int code, string? reason)
    {
        var text = reason ?? string.Empty;
        var result = new byte[2 + Encoding.UTF8.GetByteCount(text)];
        result[0] = (byte)(code >> 8);
        result[1] = (byte)code;
        Encoding.UTF8.GetBytes(text, result.AsSpan(2));
        return result;
    }

    public static string NameOf(WebSocketEventType type) => type switch
    {
        WebSocketEventType.Open => "OPEN",
        WebSocketEventType.Text => "TEXT",
        WebSocketEventType.Binary => "BINARY",
        WebSocketEventType.Ping => "PING",
        WebSocketEventType.Pong => "PONG",
        WebSocketEventType.Close => "CLOSE",
        WebSocketEventType.Disconnect => "DISCONNECT",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static ReadOnlySpan<byte> NameBytes(WebSocketEventType type) => type switch
    {
        WebSocketEventType.Open => "OPEN"u8,
        WebSocketEventType.Text => "TEXT"u8,
        WebSocketEventType.Binary => "BINARY"u8,
        WebSocketEventType.Ping => "PING"u8,
        WebSocketEventType.Pong => "PONG"u8,
        WebSocketEventType.Close => "CLOSE"u8,
        WebSocketEventType.Disconnect => "DISCONNECT"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    // Type names are case-sensitive, as upstream compares them exactly.
    private static WebSocketEventType TypeOf(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("OPEN"u8) => WebSocketEventType.Open,
        _ when name.SequenceEqual("TEXT"u8) => WebSocketEventType.Text,
        _ when name.SequenceEqual("BINARY"u8) => WebSocketEventType.Binary,
        _ when name.SequenceEqual("PING"u8) => WebSocketEventType.Ping,
        _ when name.SequenceEqual("PONG"u8) => WebSocketEventType.Pong,
        _ when name.SequenceEqual("CLOSE"u8) => WebSocketEventType.Close,
        _ when name.SequenceEqual("DISCONNECT"u8) => WebSocketEventType.Disconnect,
        _ => WebSocketEventType.Unknown,
    };

    private static bool TryParseHex(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        // 7 hex digits cover 256 MiB, far past the 1,000,000-byte body cap, and cannot overflow.
        if (digits.IsEmpty || digits.Length > 7)
        {
            return false;
        }

        foreach (var d in digits)
        {
            var v = d switch
            {
                >= (byte)'0' and <= (byte)'9' => d - '0',
                >= (byte)'a' and <= (byte)'f' => d - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => d - 'A' + 10,
                _ => -1,
            };
            if (v < 0)
            {
                return false;
            }

            value = (value << 4) | v;
        }

        return true;
    }
}
