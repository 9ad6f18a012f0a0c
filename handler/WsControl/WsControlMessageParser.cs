using System.Text.Json;

namespace Pushpin.Handler.WsControl;

/// <summary>Parses GRIP control messages as upstream's wscontrolmessage does.</summary>
/// <remarks>
/// A false result means "not a control message": the caller logs <c>error</c> at debug level and
/// ignores the message (behavior.md §7.4: unknown types and malformed JSON have no effect).
/// </remarks>
internal static class WsControlMessageParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32 };

    public static bool TryParse(ReadOnlyMemory<byte> json, out WsControlMessage? message, out string? error)
    {
        message = null;
        try
        {
            using var doc = JsonDocument.Parse(json, Options);
            return TryParse(doc.RootElement, out message, out error);
        }
        catch (JsonException e)
        {
            error = "control message is not valid JSON: " + e.Message;
            return false;
        }
    }

    public static bool TryParse(JsonElement root, out WsControlMessage? message, out string? error)
    {
        message = null;
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "grip control packet is not an object";
            return false;
        }

        if (!TryGetString(root, "type", required: true, out var typeName, out error))
        {
            return false;
        }

        WsControlMessageType type;
        switch (typeName)
        {
            case "subscribe": type = WsControlMessageType.Subscribe; break;
            case "unsubscribe": type = WsControlMessageType.Unsubscribe; break;
            case "detach": type = WsControlMessageType.Detach; break;
            case "session": type = WsControlMessageType.Session; break;
            case "set-meta": type = WsControlMessageType.SetMeta; break;
            case "keep-alive": type = WsControlMessageType.KeepAlive; break;
            case "send-delayed": type = WsControlMessageType.SendDelayed; break;
            case "flush-delayed": type = WsControlMessageType.FlushDelayed; break;
            default:
                error = $"'type' contains unknown value: {typeName}";
                return false;
        }

        switch (type)
        {
            case WsControlMessageType.Subscribe:
            case WsControlMessageType.Unsubscribe:
                return TryParseChannel(root, type, out message, out error);
            case WsControlMessageType.Session:
                if (!TryGetString(root, "id", required: false, out var id, out error))
                {
                    return false;
                }

                message = new WsControlMessage { Type = type, SessionId = id };
                return true;
            case WsControlMessageType.SetMeta:
                if (!TryGetString(root, "name", required: true, out var name, out error)
                    || !TryGetString(root, "value", required: false, out var value, out error))
                {
                    return false;
                }

                if (name!.Length == 0)
                {
                    error = "grip control object contains 'name' with invalid value";
                    return false;
                }

                message = new WsControlMessage { Type = type, MetaName = name, MetaValue = value };
                return true;
            case WsControlMessageType.KeepAlive:
            case WsControlMessageType.SendDelayed:
                return TryParseMessageSpec(root, type, out message, out error);
            default:
                message = new WsControlMessage { Type = type };
                return true;
        }
    }

    private static bool TryParseChannel(JsonElement root, WsControlMessageType type, out WsControlMessage? message, out string? error)
    {
        message = null;
        if (!TryGetString(root, "channel", required: true, out var channel, out error))
        {
            return false;
        }

        if (channel!.Length == 0)
        {
            error = "grip control object contains 'channel' with invalid value";
            return false;
        }

        var filters = new List<string>();
        if (type == WsControlMessageType.Subscribe && root.TryGetProperty("filters", out var vfilters) && vfilters.ValueKind != JsonValueKind.Null)
        {
            if (vfilters.ValueKind != JsonValueKind.Array)
            {
                error = "grip control object contains 'filters' with wrong type";
                return false;
            }

            foreach (var f in vfilters.EnumerateArray())
            {
                if (f.ValueKind != JsonValueKind.String)
                {
                    error = "filters contains value with wrong type";
                    return false;
                }

                filters.Add(f.GetString()!);
            }
        }

        message = new WsControlMessage { Type = type, Channel = channel, Filters = filters };
        return true;
    }

    private static bool TryParseMessageSpec(JsonElement root, WsControlMessageType type, out WsControlMessage? message, out string? error)
    {
        message = null;
        if (!TryGetString(root, "message-type", required: false, out var typeText, out error))
        {
            return false;
        }

        var messageType = WsMessageType.Text;
        if (typeText is not null)
        {
            switch (typeText)
            {
                case "text": messageType = WsMessageType.Text; break;
                case "binary": messageType = WsMessageType.Binary; break;
                case "ping": messageType = WsMessageType.Ping; break;
                case "pong": messageType = WsMessageType.Pong; break;
                default:
                    error = "grip control object contains 'message-type' with unknown value";
                    return false;
            }
        }

        byte[]? content = null;
        if (root.TryGetProperty("content-bin", out var bin))
        {
            // content-bin wins over content; without message-type the type stays text, as upstream.
            if (bin.ValueKind != JsonValueKind.String || !bin.TryGetBytesFromBase64(out content))
            {
                error = "grip control object contains 'content-bin' with wrong type";
                return false;
            }
        }
        else if (root.TryGetProperty("content", out var text))
        {
            if (text.ValueKind != JsonValueKind.String)
            {
                error = "grip control object contains 'content' with wrong type";
                return false;
            }

            content = System.Text.Encoding.UTF8.GetBytes(text.GetString()!);
        }

        int? timeout = null;
        if (content is not null && root.TryGetProperty("timeout", out var vtimeout))
        {
            if (vtimeout.ValueKind != JsonValueKind.Number || !vtimeout.TryGetDouble(out var seconds) || seconds > int.MaxValue)
            {
                error = "grip control object contains 'timeout' with wrong type";
                return false;
            }

            if (seconds < 0)
            {
                error = "grip control object contains 'timeout' with invalid value";
                return false;
            }

            timeout = (int)seconds;
        }

        string? mode = null;
        if (type == WsControlMessageType.KeepAlive && !TryGetString(root, "mode", required: false, out mode, out error))
        {
            return false;
        }

        message = new WsControlMessage { Type = type, MessageType = messageType, Content = content, Timeout = timeout, KeepAliveMode = mode };
        return true;
    }

    private static bool TryGetString(JsonElement root, string name, bool required, out string? value, out string? error)
    {
        value = null;
        error = null;
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                error = $"grip control object does not contain '{name}'";
                return false;
            }

            return true;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            error = $"grip control object contains '{name}' with wrong type";
            return false;
        }

        value = v.GetString();
        return true;
    }
}
