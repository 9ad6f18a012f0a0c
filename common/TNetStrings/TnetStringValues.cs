using System.Text;

namespace Pushpin.Common.TNetStrings;

/// <summary>
/// Lenient accessors over values produced by <see cref="TnetString.Parse(ReadOnlySpan{byte})"/>
/// (and by JSON conversions that use the same shapes). Upstream C++ peers send some integers
/// as byte strings of digits, so the integer accessor accepts both.
/// </summary>
public static class TnetStringValues
{
    public static string? AsString(object? value) => value switch
    {
        byte[] b => Encoding.UTF8.GetString(b),
        string s => s,
        _ => null,
    };

    public static byte[]? AsBytes(object? value) => value switch
    {
        byte[] b => b,
        string s => Encoding.UTF8.GetBytes(s),
        _ => null,
    };

    public static long? AsInteger(object? value) => value switch
    {
        long l => l,
        int i => i,
        byte[] b when long.TryParse(Encoding.ASCII.GetString(b), out var parsed) => parsed,
        string s when long.TryParse(s, out var parsed) => parsed,
        _ => null,
    };

    public static bool? AsBoolean(object? value) => value as bool?;

    public static Dictionary<string, object?>? AsDictionary(object? value) => value as Dictionary<string, object?>;

    public static List<object?>? AsList(object? value) => value as List<object?>;

    public static string? GetString(this Dictionary<string, object?> dict, string key) =>
        dict.TryGetValue(key, out var v) ? AsString(v) : null;

    public static long? GetInteger(this Dictionary<string, object?> dict, string key) =>
        dict.TryGetValue(key, out var v) ? AsInteger(v) : null;

    public static bool GetBoolean(this Dictionary<string, object?> dict, string key) =>
        dict.TryGetValue(key, out var v) && v is true;

    public static Dictionary<string, object?>? GetDictionary(this Dictionary<string, object?> dict, string key) =>
        dict.TryGetValue(key, out var v) ? v as Dictionary<string, object?> : null;

    public static List<object?>? GetList(this Dictionary<string, object?> dict, string key) =>
        dict.TryGetValue(key, out var v) ? v as List<object?> : null;
}
