using System.Collections;
using System.Globalization;
using System.Text;

namespace Pushpin.Common.TNetStrings;

/// <summary>
/// TNetString to and from plain .NET values, for the cold paths (zrpc, stats, publish items).
/// Byte strings decode to <c>byte[]</c>, integers to <c>long</c>, floats to <c>double</c>,
/// dictionaries to <c>Dictionary&lt;string, object?&gt;</c> and lists to <c>List&lt;object?&gt;</c>.
/// The zhttp hot path uses <see cref="TnetStringReader"/>/<see cref="TnetStringWriter"/> directly.
/// </summary>
public static class TnetString
{
    private const int MaxDepth = 64;

    /// <summary>Parses one value; trailing bytes after it are ignored, as upstream parsers do.</summary>
    public static object? Parse(ReadOnlySpan<byte> data) => Parse(data, out _);

    public static object? Parse(ReadOnlySpan<byte> data, out int consumed)
    {
        var reader = new TnetStringReader(data);
        var item = reader.Read();
        consumed = item.TotalLength;
        return ToValue(ref reader, item, 0);
    }

    /// <summary>Parses and requires a dictionary at the top.</summary>
    public static Dictionary<string, object?> ParseDictionary(ReadOnlySpan<byte> data) =>
        Parse(data) as Dictionary<string, object?> ?? throw new TnetStringException("top-level value is not a dictionary");

    public static byte[] Encode(object? value)
    {
        using var writer = new TnetStringWriter();
        Write(writer, value);
        return writer.ToArray();
    }

    public static void Write(TnetStringWriter writer, object? value, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new TnetStringException("value nested too deeply");
        }
        switch (value)
        {
            case null:
                writer.WriteNull();
                break;
            case byte[] bytes:
                writer.WriteString(bytes);
                break;
            case ReadOnlyMemory<byte> memory:
                writer.WriteString(memory.Span);
                break;
            case Memory<byte> memory:
                writer.WriteString(memory.Span);
                break;
            case string text:
                writer.WriteString(text);
                break;
            case bool b:
                writer.WriteBoolean(b);
                break;
            case int i:
                writer.WriteInteger(i);
                break;
            case long l:
                writer.WriteInteger(l);
                break;
            case uint ui:
                writer.WriteInteger(ui);
                break;
            case double d:
                writer.WriteFloat(d);
                break;
            case float f:
                writer.WriteFloat(f);
                break;
            case IDictionary<string, object?> dict:
                writer.BeginDictionary();
                foreach (var (k, v) in dict)
                {
                    writer.WriteString(k);
                    Write(writer, v, depth + 1);
                }
                writer.EndDictionary();
                break;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                writer.BeginDictionary();
                foreach (var (k, v) in pairs)
                {
                    writer.WriteString(k);
                    Write(writer, v, depth + 1);
                }
                writer.EndDictionary();
                break;
            case IEnumerable list:
                writer.BeginList();
                foreach (var v in list)
                {
                    Write(writer, v, depth + 1);
                }
                writer.EndList();
                break;
            default:
                throw new ArgumentException($"cannot encode {value.GetType().Name} as a TNetString", nameof(value));
        }
    }

    private static object? ToValue(ref TnetStringReader reader, in TnetStringItem item, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new TnetStringException("value nested too deeply");
        }
        switch (item.Type)
        {
            case TnetStringType.ByteString:
                return reader.Data(item).ToArray();
            case TnetStringType.Integer:
                return reader.ReadInteger(item);
            case TnetStringType.Float:
                {
                    var text = Encoding.ASCII.GetString(reader.Data(item));
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    {
                        throw new TnetStringException("bad float");
                    }
                    return d;
                }
            case TnetStringType.Boolean:
                return reader.ReadBoolean(item);
            case TnetStringType.Null:
                return null;
            case TnetStringType.List:
                {
                    var list = new List<object?>();
                    var children = reader.Enter(item);
                    while (!children.End)
                    {
                        var child = children.Read();
                        list.Add(ToValue(ref children, child, depth + 1));
                    }
                    return list;
                }
            case TnetStringType.Dictionary:
                {
                    var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                    var children = reader.Enter(item);
                    while (!children.End)
                    {
                        var key = children.Read();
                        if (key.Type != TnetStringType.ByteString)
                        {
                            throw new TnetStringException("dictionary key is not a byte string");
                        }
                        string name;
                        try
                        {
                            name = StrictUtf8.GetString(children.Data(key));
                        }
                        catch (DecoderFallbackException)
                        {
                            throw new TnetStringException("dictionary key is not valid UTF-8");
                        }
                        if (children.End)
                        {
                            throw new TnetStringException($"dictionary key '{name}' has no value");
                        }
                        var value = children.Read();
                        dict[name] = ToValue(ref children, value, depth + 1);
                    }
                    return dict;
                }
            default:
                throw new TnetStringException("unknown type");
        }
    }

    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
