using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Pushpin.Stats;

/// <summary>
/// One stats message as one JSON line for <c>--raw</c>: <c>{"type":…, …fields}</c>, fields as
/// they arrived (byte strings shown as UTF-8 text), whatever their format (T or J).
/// </summary>
internal static class RawLine
{
    public static string Format(string type, Dictionary<string, object?> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            foreach (var (key, value) in fields.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                // "type" names the message; a conn's own "type" (http/ws) becomes "conn-type".
                json.WritePropertyName(key == "type" ? "conn-type" : key);
                WriteValue(json, value, 0);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteValue(Utf8JsonWriter json, object? value, int depth)
    {
        if (depth > 32)
        {
            json.WriteNullValue();
            return;
        }
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case byte[] b:
                json.WriteStringValue(Encoding.UTF8.GetString(b));
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case long l:
                json.WriteNumberValue(l);
                break;
            case double d:
                json.WriteNumberValue(d);
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case Dictionary<string, object?> d:
                json.WriteStartObject();
                foreach (var (k, v) in d)
                {
                    json.WritePropertyName(k);
                    WriteValue(json, v, depth + 1);
                }
                json.WriteEndObject();
                break;
            case List<object?> list:
                json.WriteStartArray();
                foreach (var v in list)
                {
                    WriteValue(json, v, depth + 1);
                }
                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(value.ToString());
                break;
        }
    }
}
