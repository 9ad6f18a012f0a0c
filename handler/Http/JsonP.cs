using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pushpin.Handler.Http;

/// <summary>
/// JSON-P wrapping of responses the handler generates (long-poll timeout and published replies),
/// as upstream's HttpSession::respond: always 200 with <c>application/javascript</c>.
/// </summary>
internal static class JsonP
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Rewrites code, reason, headers and body in place.</summary>
    public static void Wrap(string callback, bool extended, ref int code, ref string reason, HeaderList headers, ref byte[] body)
    {
        byte[] inner;
        if (extended)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, WriterOptions))
            {
                // Upstream serializes a sorted map: body, code, headers, reason.
                w.WriteStartObject();
                w.WriteString("body", Encoding.UTF8.GetString(body));
                w.WriteNumber("code", code);
                w.WriteStartObject("headers");
                var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
                var seen = new List<string>();
                foreach (var h in headers)
                {
                    if (seen.Exists(s => s.Equals(h.Key, StringComparison.OrdinalIgnoreCase)))
                    {
                        continue;
                    }
                    seen.Add(h.Key);
                    merged[Latin1.ToText(h.Key)] = Latin1.ToText(string.Join(", ", headers.GetAll(h.Key, split: false)));
                }
                foreach (var (name, value) in merged)
                {
                    w.WriteString(name, value);
                }
                w.WriteEndObject();
                w.WriteString("reason", Latin1.ToText(reason));
                w.WriteEndObject();
            }
            inner = ms.ToArray();
        }
        else
        {
            var length = body.Length;
            if (length >= 2 && body[length - 2] == '\r' && body[length - 1] == '\n')
            {
                length -= 2;
            }
            else if (length >= 1 && body[length - 1] == '\n')
            {
                length -= 1;
            }
            inner = body[..length];
        }

        var cb = Latin1.ToBytes(callback);
        var output = new byte[4 + cb.Length + 1 + inner.Length + 3];
        var span = output.AsSpan();
        "/**/"u8.CopyTo(span);
        cb.CopyTo(span[4..]);
        span[4 + cb.Length] = (byte)'(';
        inner.CopyTo(span[(5 + cb.Length)..]);
        ");\n"u8.CopyTo(span[(5 + cb.Length + inner.Length)..]);
        body = output;

        headers.RemoveAll("Content-Type");
        headers.Add("Content-Type", "application/javascript");
        code = 200;
        reason = "OK";
    }
}
