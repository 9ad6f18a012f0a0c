using System.Text;
using Pushpin.Common.TNetStrings;

namespace Pushpin.Common.WsControl;

/// <summary>ws-control packets to and from TNetString (a bare dict, one ZeroMQ frame).</summary>
/// <remarks>
/// Strings go out as TNetString byte strings (UTF-8), as upstream writes them. Decoding accepts
/// what upstream peers send and rejects a packet whose item lacks <c>cid</c> or <c>type</c>, or
/// has a field of the wrong kind: the receiver drops such a packet with a log line.
/// </remarks>
public static class WsControlPacketCodec
{
    public static byte[] Encode(WsControlPacket packet) => TnetString.Encode(ToValue(packet));

    public static Dictionary<string, object?> ToValue(WsControlPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var result = new Dictionary<string, object?>();
        if (packet.From is not null)
        {
            result["from"] = Encoding.UTF8.GetBytes(packet.From);
        }

        var items = new List<object?>(packet.Items.Count);
        foreach (var item in packet.Items)
        {
            items.Add(ToValue(item));
        }

        result["items"] = items;
        return result;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out WsControlPacket? packet, out string? error)
    {
        packet = null;
        object? value;
        try
        {
            value = TnetString.Parse(data);
        }
        catch (TnetStringException e)
        {
            error = "ws-control packet is not a tnetstring: " + e.Message;
            return false;
        }

        return TryFromValue(value, out packet, out error);
    }

    public static bool TryFromValue(object? value, out WsControlPacket? packet, out string? error)
    {
        packet = null;
        error = null;
        if (value is not Dictionary<string, object?> dict)
        {
            error = "ws-control packet is not a dict";
            return false;
        }

        string? from = null;
        if (dict.TryGetValue("from", out var vfrom) && !TryString(vfrom, "from", out from, out error))
        {
            return false;
        }

        if (!dict.TryGetValue("items", out var vitems) || vitems is not List<object?> list)
        {
            error = "ws-control packet has no 'items' list";
            return false;
        }

        var items = new List<WsControlItem>(list.Count);
        foreach (var vitem in list)
        {
            if (!TryItem(vitem, out var item, out error))
            {
                return false;
            }

            items.Add(item!);
        }

        packet = new WsControlPacket { From = from, Items = items };
        return true;
    }

    private static Dictionary<string, object?> ToValue(WsControlItem item)
    {
        var d = new Dictionary<string, object?>
        {
            ["cid"] = Utf8(item.Cid),
            ["type"] = Utf8(item.TypeName),
        };
        AddString(d, "req-id", item.ReqId);
        AddString(d, "uri", item.Uri);
        AddString(d, "content-type", item.ContentType);
        if (item.Message is not null)
        {
            d["message"] = item.Message;
        }

        AddBool(d, "queue", item.Queue);
        AddInt(d, "code", item.Code);
        AddString(d, "reason", item.Reason);
        AddBool(d, "debug", item.Debug);
        AddBool(d, "separate-stats", item.SeparateStats);
        AddBool(d, "trusted", item.Trusted);
        AddString(d, "route", item.Route);
        AddString(d, "channel-prefix", item.ChannelPrefix);
        AddInt(d, "log-level", item.LogLevel);
        AddString(d, "channel", item.Channel);
        AddInt(d, "ttl", item.Ttl);
        AddInt(d, "timeout", item.Timeout);
        AddString(d, "keep-alive-mode", item.KeepAliveMode);
        return d;
    }

    private static bool TryItem(object? value, out WsControlItem? item, out string? error)
    {
        item = null;
        if (value is not Dictionary<string, object?> d)
        {
            error = "ws-control item is not a dict";
            return false;
        }

        if (!d.TryGetValue("cid", out var vcid) || !TryString(vcid, "cid", out var cid, out error) || cid is null)
        {
            error = "ws-control item has no 'cid'";
            return false;
        }

        if (!d.TryGetValue("type", out var vtype) || !TryString(vtype, "type", out var typeName, out error) || typeName is null)
        {
            error = "ws-control item has no 'type'";
            return false;
        }

        var type = WsControlItemTypes.Parse(typeName);
        if (!Str(d, "req-id", out var reqId, out error) || !Str(d, "uri", out var uri, out error)
            || !Str(d, "content-type", out var contentType, out error) || !Str(d, "reason", out var reason, out error)
            || !Str(d, "route", out var route, out error) || !Str(d, "channel-prefix", out var channelPrefix, out error)
            || !Str(d, "channel", out var channel, out error) || !Str(d, "keep-alive-mode", out var mode, out error)
            || !Bool(d, "queue", out var queue, out error) || !Bool(d, "debug", out var debug, out error)
            || !Bool(d, "separate-stats", out var separateStats, out error) || !Bool(d, "trusted", out var trusted, out error)
            || !Int(d, "code", out var code, out error) || !Int(d, "log-level", out var logLevel, out error)
            || !Int(d, "ttl", out var ttl, out error) || !Int(d, "timeout", out var timeout, out error))
        {
            return false;
        }

        byte[]? message = null;
        if (d.TryGetValue("message", out var vmessage) && vmessage is not null)
        {
            if (vmessage is not byte[] bytes)
            {
                error = "ws-control item 'message' is not a string";
                return false;
            }

            message = bytes;
        }

        item = new WsControlItem
        {
            Cid = cid,
            Type = type,
            RawTypeName = type == WsControlItemType.Unknown ? typeName : null,
            ReqId = reqId,
            Uri = uri,
            ContentType = contentType,
            Message = message,
            Queue = queue,
            Code = code,
            Reason = reason,
            Debug = debug,
            SeparateStats = separateStats,
            Trusted = trusted,
            Route = route,
            ChannelPrefix = channelPrefix,
            LogLevel = logLevel,
            Channel = channel,
            Ttl = ttl,
            Timeout = timeout,
            KeepAliveMode = mode,
        };
        error = null;
        return true;
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static void AddString(Dictionary<string, object?> d, string key, string? value)
    {
        if (value is not null)
        {
            d[key] = Utf8(value);
        }
    }

    private static void AddBool(Dictionary<string, object?> d, string key, bool? value)
    {
        if (value is { } v)
        {
            d[key] = v;
        }
    }

    private static void AddInt(Dictionary<string, object?> d, string key, int? value)
    {
        if (value is { } v)
        {
            d[key] = (long)v;
        }
    }

    private static bool TryString(object? value, string key, out string? result, out string? error)
    {
        result = null;
        error = null;
        switch (value)
        {
            case null:
                return true;
            case byte[] bytes:
                result = Encoding.UTF8.GetString(bytes);
                return true;
            default:
                error = $"ws-control field '{key}' is not a string";
                return false;
        }
    }

    private static bool Str(Dictionary<string, object?> d, string key, out string? result, out string? error)
    {
        result = null;
        error = null;
        return !d.TryGetValue(key, out var v) || TryString(v, key, out result, out error);
    }

    private static bool Bool(Dictionary<string, object?> d, string key, out bool? result, out string? error)
    {
        result = null;
        error = null;
        if (!d.TryGetValue(key, out var v) || v is null)
        {
            return true;
        }

        if (v is bool b)
        {
            result = b;
            return true;
        }

        error = $"ws-control field '{key}' is not a bool";
        return false;
    }

    private static bool Int(Dictionary<string, object?> d, string key, out int? result, out string? error)
    {
        result = null;
        error = null;
        if (!d.TryGetValue(key, out var v) || v is null)
        {
            return true;
        }

        if (v is long l and >= int.MinValue and <= int.MaxValue)
        {
            result = (int)l;
            return true;
        }

        error = $"ws-control field '{key}' is not an integer";
        return false;
    }
}
