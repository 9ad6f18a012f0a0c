using System.Text;
using System.Text.Json;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.Http;

/// <summary>
/// Turns a JSON-P GET into the request it stands for (behavior.md §11.1, upstream
/// <c>RequestSession::tryApplyJsonp</c>): callback, <c>_method</c>, <c>_headers</c> and body
/// parameters come out of the query.
/// </summary>
public sealed record JsonpRequest(string Method, RequestUri Uri, List<HttpHeader> Headers, byte[] Body, string Callback, bool Extended)
{
    /// <summary>
    /// Null with a null <paramref name="error"/> when JSON-P does not apply; null with an error
    /// (the 400 body) when its parameters are bad.
    /// </summary>
    public static JsonpRequest? TryCreate(JsonpConfig config, string method, RequestUri uri, IReadOnlyList<HttpHeader> headers, out string? error)
    {
        error = null;
        if (method != "GET")
        {
            return null;
        }
        var callbackParam = config.CallbackParam.Length > 0 ? config.CallbackParam : "callback";
        var bodyParam = config.BodyParam;
        var items = ParseQuery(uri.Query);
        var hasCallback = Has(items, callbackParam);
        if (!hasCallback && (config.DefaultCallback.Length == 0 || bodyParam.Length == 0 || !Has(items, bodyParam)))
        {
            return null;
        }

        string callback;
        if (hasCallback)
        {
            var cb = Decode(Take(items, callbackParam));
            if (string.IsNullOrEmpty(cb))
            {
                error = "Invalid callback parameter.";
                return null;
            }
            callback = cb;
        }
        else
        {
            callback = config.DefaultCallback;
        }

        var newMethod = config.DefaultMethod;
        if (Has(items, "_method"))
        {
            var m = Decode(Take(items, "_method"));
            if (string.IsNullOrEmpty(m) || !m.All(IsTokenChar))
            {
                error = "Invalid _method parameter.";
                return null;
            }
            newMethod = m;
        }

        var outHeaders = new List<HttpHeader>();
        if (Has(items, "_headers"))
        {
            if (!TryReadHeaders(Decode(Take(items, "_headers")), outHeaders))
            {
                error = "Invalid _headers parameter.";
                return null;
            }
        }

        byte[] body = [];
        if (bodyParam.Length > 0)
        {
            if (Has(items, bodyParam))
            {
                var b = Decode(Take(items, bodyParam));
                if (b is null)
                {
                    error = "Invalid body parameter.";
                    return null;
                }
                body = Encoding.UTF8.GetBytes(b);
                outHeaders.RemoveAll(h => h.Is("Content-Type"));
                outHeaders.Add(new("Content-Type", "application/json"));
            }
        }
        else if (Has(items, "_body"))
        {
            var b = Decode(Take(items, "_body"));
            if (b is null)
            {
                error = "Invalid _body parameter.";
                return null;
            }
            body = Encoding.UTF8.GetBytes(b);
        }

        var newUri = uri with { Query = items.Count == 0 ? string.Empty : "?" + string.Join('&', items.Select(i => i.Raw)) };
        outHeaders.Add(new("Host", newUri.Authority));
        outHeaders.Add(new("Accept", "*/*"));
        foreach (var h in headers)
        {
            if (!h.Is("Host") && !h.Is("Accept"))
            {
                outHeaders.Add(h);
            }
        }
        return new JsonpRequest(newMethod, newUri, outHeaders, body, callback, !config.Basic);
    }

    private static bool TryReadHeaders(string? json, List<HttpHeader> headers)
    {
        if (json is null)
        {
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    return false;
                }
                if (p.Name.Equals("host", StringComparison.OrdinalIgnoreCase) || p.Name.Equals("accept", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                headers.Add(new(Latin1(p.Name), Latin1(p.Value.GetString()!)));
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // Header text travels as Latin-1 strings holding UTF-8 bytes.
    private static string Latin1(string s) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(s));

    private static bool IsTokenChar(char c) => c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".IndexOf(c, StringComparison.Ordinal) < 0;

    private sealed record QueryItem(string Key, string Value, string Raw);

    private static List<QueryItem> ParseQuery(string query)
    {
        var list = new List<QueryItem>();
        var q = query.StartsWith('?') ? query[1..] : query;
        foreach (var part in q.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq == -1 ? part : part[..eq];
            list.Add(new QueryItem(Decode(key) ?? key, eq == -1 ? string.Empty : part[(eq + 1)..], part));
        }
        return list;
    }

    private static bool Has(List<QueryItem> items, string key) => items.Exists(i => i.Key == key);

    /// <summary>Removes every item named <paramref name="key"/>, returning the first one's (encoded) value.</summary>
    private static string Take(List<QueryItem> items, string key)
    {
        var value = items.First(i => i.Key == key).Value;
        items.RemoveAll(i => i.Key == key);
        return value;
    }

    /// <summary>Strict percent-decoding (UTF-8); null for a malformed escape or invalid UTF-8.</summary>
    private static string? Decode(string value)
    {
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%')
            {
                if (i + 2 >= value.Length || !System.Uri.IsHexDigit(value[i + 1]) || !System.Uri.IsHexDigit(value[i + 2]))
                {
                    return null;
                }
                bytes.Add((byte)((System.Uri.FromHex(value[i + 1]) << 4) | System.Uri.FromHex(value[i + 2])));
                i += 2;
            }
            else if (c < 128)
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
