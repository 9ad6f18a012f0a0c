using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// RFC 6902 patches for <c>http-response</c> <c>body-patch</c>: applied to the instruct body when
/// it is a JSON object or array. As upstream, the result is compact JSON with object keys sorted,
/// the original trailing newline kept, and any failure gives an empty body.
/// </summary>
internal static class JsonPatch
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] ApplyToBody(byte[] original, List<object?> ops)
    {
        try
        {
            return Apply(original, ops);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // Invalid UTF-8 inside strings surfaces lazily, when values are read.
            return [];
        }
    }

    private static byte[] Apply(byte[] original, List<object?> ops)
    {
        JsonNode? doc;
        try
        {
            doc = JsonNode.Parse(original);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return [];
        }
        if (doc is not (JsonObject or JsonArray))
        {
            return [];
        }
        if (!TryApply(ref doc, ops, out _) || doc is not (JsonObject or JsonArray))
        {
            return [];
        }

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            WriteSorted(w, doc);
        }
        var text = ms.ToArray();
        var suffix = original.AsSpan().EndsWith("\r\n"u8) ? "\r\n"u8 : original.AsSpan().EndsWith("\n"u8) ? "\n"u8 : [];
        return [.. text, .. suffix];
    }

    /// <summary>Applies the ops in order; false (with upstream's message) on the first failure.</summary>
    public static bool TryApply(ref JsonNode? doc, List<object?> ops, out string error)
    {
        foreach (var vop in ops)
        {
            if (vop is not Dictionary<string, object?> op)
            {
                error = "invalid op";
                return false;
            }
            if (!TryGetString(op, "op", out var type, out error) || !TryGetString(op, "path", out var path, out error))
            {
                return false;
            }
            switch (type)
            {
                case "add":
                    if (!op.TryGetValue("value", out var addValue))
                    {
                        error = "op does not contain 'value'";
                        return false;
                    }
                    if (!TrySet(ref doc, path, ToNode(addValue), insert: true, out error))
                    {
                        return false;
                    }
                    break;
                case "remove":
                    if (!TryRemove(ref doc, path, out _, out error))
                    {
                        return false;
                    }
                    break;
                case "replace":
                    if (!op.TryGetValue("value", out var replaceValue))
                    {
                        error = "op does not contain 'value'";
                        return false;
                    }
                    if (!TryGet(doc, path, out _, out error))
                    {
                        return false;
                    }
                    if (!TrySet(ref doc, path, ToNode(replaceValue), insert: false, out error))
                    {
                        return false;
                    }
                    break;
                case "move":
                {
                    if (!TryGetString(op, "from", out var from, out error))
                    {
                        return false;
                    }
                    if (path == from || path.StartsWith(from + "/", StringComparison.Ordinal))
                    {
                        error = "cannot move location into itself";
                        return false;
                    }
                    if (!TryRemove(ref doc, from, out var moved, out error) || !TrySet(ref doc, path, moved, insert: true, out error))
                    {
                        return false;
                    }
                    break;
                }
                case "copy":
                {
                    if (!TryGetString(op, "from", out var from, out error))
                    {
                        return false;
                    }
                    if (!TryGet(doc, from, out var copied, out error) || !TrySet(ref doc, path, copied?.DeepClone(), insert: true, out error))
                    {
                        return false;
                    }
                    break;
                }
                case "test":
                    if (!op.TryGetValue("value", out var testValue))
                    {
                        error = "op does not contain 'value'";
                        return false;
                    }
                    if (!TryGet(doc, path, out var current, out error))
                    {
                        return false;
                    }
                    if (!JsonNode.DeepEquals(current, ToNode(testValue)))
                    {
                        error = "tested values are not equal";
                        return false;
                    }
                    break;
                default:
                    error = $"unsupported op: {type}";
                    return false;
            }
        }
        error = string.Empty;
        return true;
    }

    private static bool TryGetString(Dictionary<string, object?> op, string key, out string value, out string error)
    {
        value = string.Empty;
        if (!op.TryGetValue(key, out var v))
        {
            error = $"op does not contain '{key}'";
            return false;
        }
        switch (v)
        {
            case string s:
                value = s;
                break;
            case byte[] b:
                value = Encoding.UTF8.GetString(b);
                break;
            default:
                error = $"op contains '{key}' with wrong type";
                return false;
        }
        error = string.Empty;
        return true;
    }

    private static List<string>? Tokens(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }
        if (pointer[0] != '/')
        {
            return null;
        }
        return [.. pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }

    // Resolves all but the last token: the container the last token addresses.
    private static bool TryParent(JsonNode? doc, string pointer, out JsonNode? parent, out string last, out string error)
    {
        parent = null;
        last = string.Empty;
        var tokens = Tokens(pointer);
        if (tokens is null)
        {
            error = "invalid pointer";
            return false;
        }
        var node = doc;
        for (var i = 0; i < tokens.Count - 1; i++)
        {
            if (!TryStep(node, tokens[i], out node))
            {
                error = "location does not exist";
                return false;
            }
        }
        parent = node;
        last = tokens.Count > 0 ? tokens[^1] : string.Empty;
        error = string.Empty;
        return true;
    }

    private static bool TryStep(JsonNode? node, string token, out JsonNode? child)
    {
        child = null;
        switch (node)
        {
            case JsonObject o:
                return o.TryGetPropertyValue(token, out child);
            case JsonArray a when TryIndex(token, a.Count, out var i) && i < a.Count:
                child = a[i];
                return true;
            default:
                return false;
        }
    }

    private static bool TryIndex(string token, int count, out int index)
    {
        index = -1;
        if (token == "-")
        {
            index = count;
            return true;
        }
        return token.Length > 0 && (token == "0" || token[0] != '0')
            && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    private static bool TryGet(JsonNode? doc, string pointer, out JsonNode? value, out string error)
    {
        value = null;
        if (pointer.Length == 0)
        {
            value = doc;
            error = string.Empty;
            return true;
        }
        if (!TryParent(doc, pointer, out var parent, out var last, out error))
        {
            return false;
        }
        if (!TryStep(parent, last, out value))
        {
            error = "location does not exist";
            return false;
        }
        return true;
    }

    private static bool TrySet(ref JsonNode? doc, string pointer, JsonNode? value, bool insert, out string error)
    {
        if (pointer.Length == 0)
        {
            doc = value;
            error = string.Empty;
            return true;
        }
        if (!TryParent(doc, pointer, out var parent, out var last, out error))
        {
            return false;
        }
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                return true;
            case JsonArray a when TryIndex(last, a.Count, out var i) && i <= a.Count:
                if (i == a.Count)
                {
                    a.Add(value);
                }
                else if (insert)
                {
                    a.Insert(i, value);
                }
                else
                {
                    a[i] = value;
                }
                return true;
            default:
                error = "location does not exist";
                return false;
        }
    }

    private static bool TryRemove(ref JsonNode? doc, string pointer, out JsonNode? removed, out string error)
    {
        removed = null;
        if (pointer.Length == 0)
        {
            removed = doc;
            doc = null;
            error = string.Empty;
            return true;
        }
        if (!TryParent(doc, pointer, out var parent, out var last, out error))
        {
            return false;
        }
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out removed):
                o.Remove(last);
                return true;
            case JsonArray a when TryIndex(last, a.Count, out var i) && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                return true;
            default:
                error = "location does not exist";
                return false;
        }
    }

    private static JsonNode? ToNode(object? v) => v switch
    {
        null => null,
        string s => JsonValue.Create(s),
        byte[] b => JsonValue.Create(Encoding.UTF8.GetString(b)),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        Dictionary<string, object?> d => new JsonObject(d.Select(p => KeyValuePair.Create(p.Key, ToNode(p.Value)))),
        List<object?> l => new JsonArray([.. l.Select(ToNode)]),
        _ => null,
    };

    private static void WriteSorted(Utf8JsonWriter w, JsonNode? node)
    {
        switch (node)
        {
            case null:
                w.WriteNullValue();
                break;
            case JsonObject o:
                w.WriteStartObject();
                foreach (var p in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(p.Key);
                    WriteSorted(w, p.Value);
                }
                w.WriteEndObject();
                break;
            case JsonArray a:
                w.WriteStartArray();
                foreach (var item in a)
                {
                    WriteSorted(w, item);
                }
                w.WriteEndArray();
                break;
            default:
                node.WriteTo(w);
                break;
        }
    }
}
