using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Pushpin.Connmgr.Http;

/// <summary>Writes response heads, chunk framing and canned error responses.</summary>
internal static class HttpResponseWriter
{
    /// <summary>Writes <c>HTTP/1.x code reason CRLF</c>, the headers in order, and the blank line.</summary>
    public static void WriteHead(IBufferWriter<byte> output, int minorVersion, int code, string reason, IReadOnlyList<HeaderField> headers)
    {
        Write(output, minorVersion == 0 ? "HTTP/1.0 "u8 : "HTTP/1.1 "u8);
        WriteNumber(output, code);
        Write(output, " "u8);
        WriteLatin1(output, reason);
        Write(output, "\r\n"u8);
        for (var i = 0; i < headers.Count; i++)
        {
            WriteHeader(output, headers[i].Name, headers[i].Value);
        }
        Write(output, "\r\n"u8);
    }

    public static void WriteHeader(IBufferWriter<byte> output, string name, string value)
    {
        WriteLatin1(output, name);
        Write(output, ": "u8);
        WriteLatin1(output, value);
        Write(output, "\r\n"u8);
    }

    /// <summary>One chunk: hex size, CRLF, data, CRLF. Empty data writes nothing (an empty chunk would end the body).</summary>
    public static void WriteChunk(IBufferWriter<byte> output, in ReadOnlySequence<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat((ulong)data.Length, span, out var n, new StandardFormat('x'));
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        output.Advance(n);
        foreach (var segment in data)
        {
            Write(output, segment.Span);
        }
        Write(output, "\r\n"u8);
    }

    /// <summary>One chunk from contiguous bytes.</summary>
    public static void WriteChunk(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat((ulong)data.Length, span, out var n, new StandardFormat('x'));
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        output.Advance(n);
        Write(output, data);
        Write(output, "\r\n"u8);
    }

    public static void WriteLastChunk(IBufferWriter<byte> output) => Write(output, "0\r\n\r\n"u8);

    /// <summary>A complete short response with a text body that closes the connection.</summary>
    public static void WriteSimpleResponse(IBufferWriter<byte> output, int minorVersion, int code, string body, bool close = true)
    {
        Write(output, minorVersion == 0 ? "HTTP/1.0 "u8 : "HTTP/1.1 "u8);
        WriteNumber(output, code);
        Write(output, " "u8);
        WriteLatin1(output, RequestRejections.ReasonPhrase(code));
        Write(output, "\r\nContent-Type: text/plain\r\nContent-Length: "u8);
        var bodyLength = Encoding.UTF8.GetByteCount(body) + 1;
        WriteNumber(output, bodyLength);
        Write(output, close ? "\r\nConnection: close\r\n\r\n"u8 : "\r\n\r\n"u8);
        var span = output.GetSpan(bodyLength);
        var written = Encoding.UTF8.GetBytes(body, span);
        span[written] = (byte)'\n';
        output.Advance(written + 1);
    }

    public static void WriteNumber(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var n);
        output.Advance(n);
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        var span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }

    private static void WriteLatin1(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        var n = Encoding.Latin1.GetBytes(text, span);
        output.Advance(n);
    }
}
