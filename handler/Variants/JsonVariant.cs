using System.Text.Json;

namespace Pushpin.Handler.Variants;

/// <summary>
/// Parses JSON into the generic value tree shared with TNetString input: objects are
/// <see cref="JsonMap"/>, arrays <c>List&lt;object?&gt;</c>, strings <c>string</c>, integers
/// <c>long</c>, other numbers <c>double</c>, <c>bool</c>, <c>null</c>.
/// </summary>
internal static class JsonVariant
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>Parses a JSON document; false when it is not valid JSON.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> utf8, out object? value)
    {
        try
        {
            using var doc = JsonDocument.Parse(utf8, Options);
            value = Convert(doc.RootElement);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 (found by fuzzing).
            value = null;
            return false;
        }
    }

    private static object? Convert(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new JsonMap();
                foreach (var p in e.EnumerateObject())
                {
                    map[p.Name] = Convert(p.Value);
                }
                return map;
            case JsonValueKind.Array:
                var list = new List<object?>(e.GetArrayLength());
                foreach (var item in e.EnumerateArray())
                {
                    list.Add(Convert(item));
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
