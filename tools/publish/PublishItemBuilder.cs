using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pushpin.Publish;

/// <summary>
/// Builds the publish item for a <see cref="PublishRequest"/>, as JSON (for the HTTP API)
/// or as a TNetString-ready value tree (for a ZeroMQ PUSH spec). Content that is not valid
/// UTF-8 travels as <c>body-bin</c>/<c>content-bin</c> (base64) in JSON, raw in TNetString.
/// </summary>
public static class PublishItemBuilder
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static JsonObject ToJson(PublishRequest request)
    {
        var formats = new JsonObject();
        switch (request.Action)
        {
            case PublishAction.Send:
                var response = new JsonObject { ["code"] = request.Code };
                if (request.PatchJson is not null)
                {
                    response["body-patch"] = JsonNode.Parse(request.PatchJson);
                }
                else
                {
                    AddContent(response, "body", request.HttpContent);
                    var stream = new JsonObject();
                    AddContent(stream, "content", request.HttpContent);
                    formats["http-stream"] = stream;
                    var ws = new JsonObject();
                    AddContent(ws, "content", request.WsContent);
                    formats["ws-message"] = ws;
                }
                if (request.Headers.Count > 0)
                {
                    var headers = new JsonArray();
                    foreach (var (name, value) in request.Headers)
                    {
                        headers.Add(new JsonArray(name, value));
                    }
                    response["headers"] = headers;
                }
                formats["http-response"] = response;
                break;
            case PublishAction.Hint:
                formats["http-response"] = new JsonObject { ["action"] = "hint" };
                formats["http-stream"] = new JsonObject { ["action"] = "hint" };
                formats["ws-message"] = new JsonObject { ["action"] = "hint" };
                break;
            case PublishAction.Close:
                formats["http-stream"] = new JsonObject { ["action"] = "close" };
                formats["ws-message"] = new JsonObject { ["action"] = "close" };
                break;
        }

        var item = new JsonObject { ["channel"] = request.Channel };
        if (request.Id.Length > 0)
        {
            item["id"] = request.Id;
        }
        if (request.PrevId.Length > 0)
        {
            item["prev-id"] = request.PrevId;
        }
        item["formats"] = formats;
        var meta = new JsonObject();
        if (request.Sender.Length > 0)
        {
            meta["sender"] = request.Sender;
        }
        foreach (var (name, value) in request.Meta)
        {
            meta[name] = value;
        }
        if (meta.Count > 0)
        {
            item["meta"] = meta;
        }
        if (request.NoSeq)
        {
            item["no-seq"] = true;
        }
        return item;
    }

    /// <summary>The same item as plain values for the TNetString encoder (bytes stay bytes).</summary>
    public static Dictionary<string, object?> ToValues(PublishRequest request)
    {
        var json = ToJson(request);
        var values = (Dictionary<string, object?>)FromJson(json)!;
        // Raw bytes instead of the JSON-only *-bin forms.
        if (values["formats"] is Dictionary<string, object?> formats && request.Action == PublishAction.Send && request.PatchJson is null)
        {
            Replace(formats, "http-response", "body", request.HttpContent);
            Replace(formats, "http-stream", "content", request.HttpContent);
            Replace(formats, "ws-message", "content", request.WsContent);
        }
        return values;
    }

    private static void Replace(Dictionary<string, object?> formats, string format, string key, byte[] content)
    {
        if (formats.TryGetValue(format, out var f) && f is Dictionary<string, object?> d)
        {
            d.Remove(key + "-bin");
            d[key] = content;
        }
    }

    private static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => FromJson(p.Value), StringComparer.Ordinal),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        // Numbers may be backed by int, long or JsonElement: go through their JSON text.
        JsonValue v when long.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l) => l,
        JsonValue v => double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new ArgumentException("unexpected JSON node", nameof(node)),
    };

    private static void AddContent(JsonObject target, string key, byte[] content)
    {
        try
        {
            target[key] = StrictUtf8.GetString(content);
        }
        catch (DecoderFallbackException)
        {
            target[key + "-bin"] = Convert.ToBase64String(content);
        }
    }
}
