using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Pushpin.Common.TNetStrings;

namespace Pushpin.Common.Stats;

/// <summary>
/// Stats frames on the wire: <c>&lt;type&gt; T&lt;tnetstring&gt;</c> or <c>&lt;type&gt; J&lt;json&gt;</c>
/// (internals.md §5.1). Encoding follows upstream's field rules (what is omitted when);
/// decoding accepts both bodies and applies upstream's checks (required fields, no negative
/// counts), leniently accepting integers sent as digit strings as the C++ side does.
/// </summary>
public static class StatsCodec
{
    /// <summary>The bytes a subscriber filters on for a type, e.g. <c>"report "</c>.</summary>
    public static byte[] Topic(StatsPacketType type) => Encoding.ASCII.GetBytes(StatsPacket.WireType(type) + " ");

    /// <summary>Encodes one packet as a whole frame, prefix included.</summary>
    public static byte[] Encode(StatsPacket packet, StatsFormat format = StatsFormat.TnetString)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var fields = ToDictionary(packet);
        var prefix = StatsPacket.WireType(packet.Type);
        if (format == StatsFormat.TnetString)
        {
            var body = TnetString.Encode(fields);
            var frame = new byte[prefix.Length + 2 + body.Length];
            Encoding.ASCII.GetBytes(prefix, frame);
            frame[prefix.Length] = (byte)' ';
            frame[prefix.Length + 1] = (byte)'T';
            body.CopyTo(frame, prefix.Length + 2);
            return frame;
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        var head = buffer.GetSpan(prefix.Length + 2);
        Encoding.ASCII.GetBytes(prefix, head);
        head[prefix.Length] = (byte)' ';
        head[prefix.Length + 1] = (byte)'J';
        buffer.Advance(prefix.Length + 2);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case string s:
                        json.WriteString(key, s);
                        break;
                    case long l:
                        json.WriteNumber(key, l);
                        break;
                    case bool b:
                        json.WriteBoolean(key, b);
                        break;
                    default:
                        json.WriteNull(key);
                        break;
                }
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a frame; never throws. On failure <paramref name="error"/> says why.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> frame, out StatsPacket? packet, out string? error)
    {
        try
        {
            packet = Decode(frame);
            error = null;
            return true;
        }
        catch (StatsPacketException ex)
        {
            packet = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Decodes a frame; bad input throws <see cref="StatsPacketException"/> only.</summary>
    public static StatsPacket Decode(ReadOnlySpan<byte> frame)
    {
        var (type, fields) = ParseFields(frame);
        return FromDictionary(type, fields);
    }

    /// <summary>
    /// Splits a frame into its wire type and its body as generic values (byte strings stay
    /// <c>byte[]</c> for T bodies, strings for J bodies), without checking the fields; for
    /// tools that show what arrived. Never throws.
    /// </summary>
    public static bool TryParseFields(ReadOnlySpan<byte> frame, out string? type, out Dictionary<string, object?>? fields, out string? error)
    {
        try
        {
            (type, fields) = ParseFields(frame);
            error = null;
            return true;
        }
        catch (StatsPacketException ex)
        {
            type = null;
            fields = null;
            error = ex.Message;
            return false;
        }
    }

    private static (string Type, Dictionary<string, object?> Fields) ParseFields(ReadOnlySpan<byte> frame)
    {
        var space = frame.IndexOf((byte)' ');
        if (space <= 0)
        {
            throw new StatsPacketException("stats frame has no '<type> ' prefix");
        }
        var type = Encoding.ASCII.GetString(frame[..space]);
        var body = frame[(space + 1)..];
        if (body.IsEmpty)
        {
            throw new StatsPacketException($"stats '{type}' frame has no body");
        }
        switch (body[0])
        {
            case (byte)'T':
                try
                {
                    var fields = TnetString.Parse(body[1..]) as Dictionary<string, object?>
                        ?? throw new StatsPacketException($"stats '{type}' body is not a TNetString dictionary");
                    return (type, fields);
                }
                catch (TnetStringException ex)
                {
                    throw new StatsPacketException($"stats '{type}' body is not a valid TNetString: {ex.Message}", ex);
                }
            case (byte)'J':
                return (type, ParseJson(type, body[1..]));
            default:
                throw new StatsPacketException($"stats '{type}' body starts with neither 'T' nor 'J'");
        }
    }

    /// <summary>The fields upstream sends for a packet, as TNetString-ready values.</summary>
    public static Dictionary<string, object?> ToDictionary(StatsPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(packet.From))
        {
            d["from"] = packet.From;
        }
        if (!string.IsNullOrEmpty(packet.Route))
        {
            d["route"] = packet.Route;
        }
        switch (packet.Type)
        {
            case StatsPacketType.Activity:
                d["count"] = Math.Max(packet.Count, 0);
                break;
            case StatsPacketType.Message:
                d["channel"] = packet.Channel ?? string.Empty;
                if (packet.ItemId is not null)
                {
                    d["item-id"] = packet.ItemId;
                }
                d["count"] = Math.Max(packet.Count, 0);
                if (packet.Blocks is >= 0)
                {
                    d["blocks"] = packet.Blocks.Value;
                }
                d["transport"] = packet.Transport ?? string.Empty;
                break;
            case StatsPacketType.Connected:
                d["id"] = packet.ConnectionId ?? string.Empty;
                d["type"] = packet.ConnectionType == StatsConnectionType.WebSocket ? "ws" : "http";
                if (!string.IsNullOrEmpty(packet.PeerAddress))
                {
                    d["peer-address"] = packet.PeerAddress;
                }
                if (packet.Ssl)
                {
                    d["ssl"] = true;
                }
                d["ttl"] = (long)packet.Ttl;
                break;
            case StatsPacketType.Disconnected:
                d["id"] = packet.ConnectionId ?? string.Empty;
                d["unavailable"] = true;
                break;
            case StatsPacketType.Subscribed:
                d["mode"] = packet.Mode ?? string.Empty;
                d["channel"] = packet.Channel ?? string.Empty;
                d["ttl"] = (long)packet.Ttl;
                if (packet.Subscribers is >= 0)
                {
                    d["subscribers"] = packet.Subscribers.Value;
                }
                break;
            case StatsPacketType.Unsubscribed:
                d["mode"] = packet.Mode ?? string.Empty;
                d["channel"] = packet.Channel ?? string.Empty;
                d["unavailable"] = true;
                break;
            case StatsPacketType.Report:
                AddOptional(d, "connections", packet.ConnectionsMax);
                AddOptional(d, "minutes", packet.ConnectionsMinutes);
                AddOptional(d, "received", packet.MessagesReceived);
                AddOptional(d, "sent", packet.MessagesSent);
                AddOptional(d, "http-response-sent", packet.HttpResponseMessagesSent);
                AddOptional(d, "blocks-received", packet.BlocksReceived);
                AddOptional(d, "blocks-sent", packet.BlocksSent);
                AddOptional(d, "duration", packet.Duration);
                if (packet.Counters is { } counters)
                {
                    foreach (var c in StatsCounters.All)
                    {
                        AddOptional(d, StatsCounters.WireName(c), counters[c]);
                    }
                }
                break;
            case StatsPacketType.Counts:
                if (packet.RequestsReceived is > 0)
                {
                    d["requests-received"] = packet.RequestsReceived.Value;
                }
                break;
            case StatsPacketType.ConnectionsMax:
                d["max"] = Math.Max(packet.ConnectionsMax ?? 0, 0);
                d["ttl"] = (long)Math.Max(packet.Ttl, 0);
                if (packet.RetrySeq is >= 0)
                {
                    d["retry-seq"] = packet.RetrySeq.Value;
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(packet), packet.Type, "unknown stats packet type");
        }
        return d;
    }

    /// <summary>Builds a packet from a wire type and its decoded fields, with upstream's checks.</summary>
    public static StatsPacket FromDictionary(string type, Dictionary<string, object?> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var p = new StatsPacket
        {
            From = OptionalString(type, fields, "from"),
            Route = OptionalString(type, fields, "route"),
        };
        switch (type)
        {
            case "activity":
                p.Type = StatsPacketType.Activity;
                p.Count = RequireCount(type, fields, "count");
                break;
            case "message":
                p.Type = StatsPacketType.Message;
                p.Channel = RequireString(type, fields, "channel");
                p.ItemId = OptionalString(type, fields, "item-id");
                p.Count = RequireCount(type, fields, "count");
                p.Blocks = OptionalInteger(type, fields, "blocks");
                p.Transport = RequireString(type, fields, "transport");
                break;
            case "conn":
                p.ConnectionId = RequireString(type, fields, "id");
                if (OptionalBoolean(type, fields, "unavailable"))
                {
                    p.Type = StatsPacketType.Disconnected;
                    break;
                }
                p.Type = StatsPacketType.Connected;
                p.ConnectionType = RequireString(type, fields, "type") switch
                {
                    "http" => StatsConnectionType.Http,
                    "ws" => StatsConnectionType.WebSocket,
                    var other => throw new StatsPacketException($"stats 'conn' field 'type' is '{other}', expected 'http' or 'ws'"),
                };
                p.PeerAddress = OptionalString(type, fields, "peer-address");
                if (p.PeerAddress is not null && !IPAddress.TryParse(p.PeerAddress, out _))
                {
                    throw new StatsPacketException($"stats 'conn' field 'peer-address' is not an IP address: '{p.PeerAddress}'");
                }
                p.Ssl = OptionalBoolean(type, fields, "ssl");
                p.Ttl = RequireTtl(type, fields, "ttl");
                break;
            case "sub":
                p.Mode = RequireString(type, fields, "mode");
                p.Channel = RequireString(type, fields, "channel");
                if (OptionalBoolean(type, fields, "unavailable"))
                {
                    p.Type = StatsPacketType.Unsubscribed;
                    break;
                }
                p.Type = StatsPacketType.Subscribed;
                p.Ttl = RequireTtl(type, fields, "ttl");
                p.Subscribers = OptionalCount(type, fields, "subscribers");
                break;
            case "report":
                p.Type = StatsPacketType.Report;
                p.ConnectionsMax = OptionalInteger(type, fields, "connections");
                p.ConnectionsMinutes = OptionalInteger(type, fields, "minutes");
                p.MessagesReceived = OptionalInteger(type, fields, "received");
                p.MessagesSent = OptionalInteger(type, fields, "sent");
                p.HttpResponseMessagesSent = OptionalInteger(type, fields, "http-response-sent");
                p.BlocksReceived = OptionalInteger(type, fields, "blocks-received");
                p.BlocksSent = OptionalInteger(type, fields, "blocks-sent");
                p.Duration = OptionalInteger(type, fields, "duration");
                StatsCounters? counters = null;
                foreach (var c in StatsCounters.All)
                {
                    var v = OptionalInteger(type, fields, StatsCounters.WireName(c));
                    if (v is not null)
                    {
                        counters ??= new StatsCounters();
                        counters[c] = v;
                    }
                }
                p.Counters = counters;
                break;
            case "counts":
                p.Type = StatsPacketType.Counts;
                p.RequestsReceived = OptionalCount(type, fields, "requests-received");
                break;
            case "conn-max":
                p.Type = StatsPacketType.ConnectionsMax;
                p.ConnectionsMax = RequireCount(type, fields, "max");
                p.Ttl = RequireTtl(type, fields, "ttl");
                p.RetrySeq = OptionalCount(type, fields, "retry-seq");
                break;
            default:
                throw new StatsPacketException($"unknown stats type '{type}'");
        }
        return p;
    }

    private static void AddOptional(Dictionary<string, object?> d, string key, long? value)
    {
        if (value is >= 0)
        {
            d[key] = value.Value;
        }
    }

    private static string? OptionalString(string type, Dictionary<string, object?> fields, string key)
    {
        if (!fields.TryGetValue(key, out var v))
        {
            return null;
        }
        return v switch
        {
            byte[] b => DecodeUtf8(type, key, b),
            string s => s,
            _ => throw new StatsPacketException($"stats '{type}' field '{key}' is not a string"),
        };
    }

    private static string DecodeUtf8(string type, string key, byte[] bytes)
    {
        try
        {
            return TnetString.StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new StatsPacketException($"stats '{type}' field '{key}' is not valid UTF-8");
        }
    }

    private static string RequireString(string type, Dictionary<string, object?> fields, string key) =>
        OptionalString(type, fields, key) ?? throw new StatsPacketException($"stats '{type}' is missing field '{key}'");

    private static long? OptionalInteger(string type, Dictionary<string, object?> fields, string key)
    {
        if (!fields.TryGetValue(key, out var v))
        {
            return null;
        }
        return v switch
        {
            long l => l,
            // Qt's canConvert(Int) accepts digit strings; so do we.
            byte[] or string when long.TryParse(TnetStringValues.AsString(v), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) => parsed,
            double d when d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
            _ => throw new StatsPacketException($"stats '{type}' field '{key}' is not an integer"),
        };
    }

    private static long? OptionalCount(string type, Dictionary<string, object?> fields, string key)
    {
        var v = OptionalInteger(type, fields, key);
        if (v < 0)
        {
            throw new StatsPacketException($"stats '{type}' field '{key}' is negative");
        }
        return v;
    }

    private static long RequireCount(string type, Dictionary<string, object?> fields, string key) =>
        OptionalCount(type, fields, key) ?? throw new StatsPacketException($"stats '{type}' is missing field '{key}'");

    private static int RequireTtl(string type, Dictionary<string, object?> fields, string key)
    {
        var v = RequireCount(type, fields, key);
        if (v > int.MaxValue)
        {
            throw new StatsPacketException($"stats '{type}' field '{key}' is too large");
        }
        return (int)v;
    }

    private static bool OptionalBoolean(string type, Dictionary<string, object?> fields, string key)
    {
        if (!fields.TryGetValue(key, out var v))
        {
            return false;
        }
        return v as bool? ?? throw new StatsPacketException($"stats '{type}' field '{key}' is not a boolean");
    }

    private static Dictionary<string, object?> ParseJson(string type, ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new StatsPacketException($"stats '{type}' JSON body is not an object");
            }
            return (Dictionary<string, object?>)FromJson(doc.RootElement)!;
        }
        catch (JsonException ex)
        {
            throw new StatsPacketException($"stats '{type}' body is not valid JSON: {ex.Message}", ex);
        }
    }

    private static object? FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var prop in e.EnumerateObject())
                {
                    d[prop.Name] = FromJson(prop.Value);
                }
                return d;
            case JsonValueKind.Array:
                var list = new List<object?>();
                foreach (var item in e.EnumerateArray())
                {
                    list.Add(FromJson(item));
                }
                return list;
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                return e.TryGetInt64(out var l) ? l : e.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }
}
