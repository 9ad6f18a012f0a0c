using Pushpin.Handler.Http;
using Pushpin.Handler.Variants;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// Validates publish items from JSON (<see cref="JsonMap"/>) or TNetString (plain dictionaries,
/// byte strings) input, with upstream's messages (returned after <c>Invalid format: </c>).
/// </summary>
internal static class PublishItemParser
{
    private const string ItemName = "publish item object";

    /// <summary>Parses all items or none (one bad item rejects the whole request).</summary>
    public static bool TryParseItems(List<object?> vitems, out List<PublishItem> items, out string error)
    {
        items = new List<PublishItem>(vitems.Count);
        foreach (var v in vitems)
        {
            if (!TryParse(v, null, out var item, out error))
            {
                items.Clear();
                return false;
            }
            items.Add(item!);
        }
        error = string.Empty;
        return true;
    }

    /// <param name="channel">Overrides the item's own channel (SUB input's topic frame).</param>
    public static bool TryParse(object? vitem, string? channel, out PublishItem? item, out string error)
    {
        item = Parse(vitem, channel, out var message);
        error = message ?? string.Empty;
        return item is not null;
    }

    private static PublishItem? Parse(object? vitem, string? channelOverride, out string? error)
    {
        if (vitem is not Dictionary<string, object?> obj)
        {
            error = $"{ItemName} is not an object";
            return null;
        }

        string? channel;
        if (!string.IsNullOrEmpty(channelOverride))
        {
            channel = channelOverride;
        }
        else if (!VariantAccess.TryGetString(obj, ItemName, "channel", true, out channel, out error))
        {
            return null;
        }
        if (!VariantAccess.TryGetString(obj, ItemName, "id", false, out var id, out error))
        {
            return null;
        }
        if (!VariantAccess.TryGetString(obj, ItemName, "prev-id", false, out var prevId, out error))
        {
            return null;
        }
        if (!VariantAccess.TryGetKeyedObject(obj, ItemName, "formats", false, out var formats, out error))
        {
            return null;
        }
        if (formats is null)
        {
            // Formats may sit directly on the item.
            formats = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var key in (ReadOnlySpan<string>)["http-response", "http-stream", "ws-message"])
            {
                if (obj.TryGetValue(key, out var v) && v is not null)
                {
                    formats[key] = v;
                }
            }
        }
        if (formats.Count == 0)
        {
            error = "no formats specified";
            return null;
        }

        var isJson = obj is JsonMap;
        PublishFormat? httpResponse = null, httpStream = null, wsMessage = null;
        if (formats.TryGetValue("http-response", out var vf))
        {
            httpResponse = PublishFormatParser.Parse(PublishFormatType.HttpResponse, vf, isJson, out error);
            if (httpResponse is null)
            {
                return null;
            }
        }
        if (formats.TryGetValue("http-stream", out vf))
        {
            httpStream = PublishFormatParser.Parse(PublishFormatType.HttpStream, vf, isJson, out error);
            if (httpStream is null)
            {
                return null;
            }
        }
        if (formats.TryGetValue("ws-message", out vf))
        {
            wsMessage = PublishFormatParser.Parse(PublishFormatType.WebSocketMessage, vf, isJson, out error);
            if (wsMessage is null)
            {
                return null;
            }
        }

        if (!VariantAccess.TryGetKeyedObject(obj, ItemName, "meta", false, out var vmeta, out error))
        {
            return null;
        }
        var meta = new List<KeyValuePair<string, string>>();
        if (vmeta is not null)
        {
            foreach (var (key, vval) in vmeta)
            {
                if (!VariantAccess.TryGetString(vval, out var s))
                {
                    error = $"'meta' contains '{key}' with wrong type";
                    return null;
                }
                meta.Add(new KeyValuePair<string, string>(key, s));
            }
        }

        var size = -1;
        if (obj.TryGetValue("size", out var vsize))
        {
            if (!VariantAccess.CanConvertToInt(vsize))
            {
                error = $"{ItemName} contains 'size' with wrong type";
                return null;
            }
            size = VariantAccess.ToInt(vsize);
            if (size < 0)
            {
                error = $"{ItemName} contains 'size' with invalid value";
                return null;
            }
        }

        var noSeq = false;
        if (obj.TryGetValue("no-seq", out var vnoSeq))
        {
            if (vnoSeq is not bool b)
            {
                error = $"{ItemName} contains 'no-seq' with wrong type";
                return null;
            }
            noSeq = b;
        }

        var item = new PublishItem
        {
            Channel = channel!,
            Id = id,
            PrevId = prevId,
            Size = size,
            NoSeq = noSeq,
            HttpResponse = httpResponse,
            HttpStream = httpStream,
            WsMessage = wsMessage,
        };
        foreach (var (key, value) in meta)
        {
            item.Meta[key] = value;
        }
        error = null;
        return item;
    }
}
