using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Http;

/// <summary>
/// Wraps a proxied response for a JSON-P client, streaming (behavior.md §11.1): extended mode
/// <c>/**/cb({"code": N, "reason": "…", "headers": {…}, "body": "…"});</c>, basic mode
/// <c>/**/cb(body);</c> with the body's trailing newline dropped.
/// </summary>
public sealed class JsonpEncoder
{
    // Headers copied from the wrapped response to the outer one (upstream: Cache-Control only).
    private static readonly string[] Mirrored = ["Cache-Control"];
    private static readonly JavaScriptEncoder Escaper = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    private readonly string _callback;
    private readonly bool _extended;
    private byte[] _heldNewline = [];

    public JsonpEncoder(string callback, bool extended)
    {
        _callback = callback;
        _extended = extended;
    }

    /// <summary>The outer response's headers and the start of its body.</summary>
    public byte[] Start(int code, string reason, IReadOnlyList<HttpHeader> headers, out List<HttpHeader> outerHeaders)
    {
        outerHeaders = [new("Content-Type", "application/javascript")];
        foreach (var h in headers)
        {
            if (Array.Exists(Mirrored, h.Is))
            {
                outerHeaders.Add(h);
            }
        }
        var sb = new StringBuilder("/**/").Append(_callback).Append('(');
        if (_extended)
        {
            sb.Append("{\"code\": ").Append(code.ToString(CultureInfo.InvariantCulture))
              .Append(", \"reason\": ").Append(Quote(reason))
              .Append(", \"headers\": {");
            var seen = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var h in headers)
            {
                seen.TryAdd(h.Name, h.Value);
            }
            var first = true;
            foreach (var (name, value) in seen)
            {
                sb.Append(first ? string.Empty : ", ").Append(Quote(name)).Append(": ").Append(Quote(value));
                first = false;
            }
            sb.Append("}, \"body\": \"");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>One body chunk, encoded (a trailing newline is held back in basic mode until more follows).</summary>
    public byte[] Body(ReadOnlySpan<byte> chunk)
    {
        if (_extended)
        {
            return Encoding.UTF8.GetBytes(Escaper.Encode(Encoding.UTF8.GetString(chunk)));
        }
        var data = _heldNewline.Length == 0 ? chunk.ToArray() : [.. _heldNewline, .. chunk];
        var trim = data.AsSpan().EndsWith("\r\n"u8) ? 2 : data.AsSpan().EndsWith("\n"u8) ? 1 : 0;
        _heldNewline = data[^trim..];
        return data[..^trim];
    }

    /// <summary>The end of the body (a held newline is dropped).</summary>
    public byte[] End() => _extended ? "\"});\n"u8.ToArray() : ");\n"u8.ToArray();

    private static string Quote(string latin1) => "\"" + Escaper.Encode(Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(latin1))) + "\"";
}
