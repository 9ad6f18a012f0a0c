using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Pushpin.Handler.Variants;

/// <summary>
/// Typed access to generic values with upstream's exact error messages
/// (<c>&lt;parent&gt; does not contain '&lt;field&gt;'</c>, <c>... contains '&lt;field&gt;' with wrong type</c>).
/// </summary>
/// <remarks>
/// A key present with a JSON <c>null</c> value counts as absent for optional lookups and as
/// "wrong type" for required ones, as upstream (Qt turns null into an invalid variant).
/// </remarks>
internal static class VariantAccess
{
    public static bool IsKeyedObject(object? v) => v is Dictionary<string, object?>;

    public static bool IsJson(object? v) => v is JsonMap;

    public static bool Contains(object? obj, string key) =>
        obj is Dictionary<string, object?> d && d.ContainsKey(key);

    public static object? Get(object? obj, string key) =>
        obj is Dictionary<string, object?> d && d.TryGetValue(key, out var v) ? v : null;

    /// <summary>A string-like value (JSON string or byte string) as text.</summary>
    public static bool TryGetString(object? v, [NotNullWhen(true)] out string? s)
    {
        switch (v)
        {
            case string str:
                s = str;
                return true;
            case byte[] bytes:
                s = Encoding.UTF8.GetString(bytes);
                return true;
            default:
                s = null;
                return false;
        }
    }

    /// <summary>A string-like value as bytes (byte strings verbatim, text as UTF-8).</summary>
    public static bool TryGetBytes(object? v, [NotNullWhen(true)] out byte[]? b)
    {
        switch (v)
        {
            case byte[] bytes:
                b = bytes;
                return true;
            case string str:
                b = Encoding.UTF8.GetBytes(str);
                return true;
            default:
                b = null;
                return false;
        }
    }

    /// <summary>Upstream accepts anything Qt can convert to int (numbers, bools, strings).</summary>
    public static bool CanConvertToInt(object? v) => v is long or double or bool or string or byte[] or int;

    public static int ToInt(object? v) => v switch
    {
        long l => (int)Math.Clamp(l, int.MinValue, int.MaxValue),
        int i => i,
        double d => double.IsNaN(d) ? 0 : (int)Math.Clamp(Math.Round(d), int.MinValue, int.MaxValue),
        bool b => b ? 1 : 0,
        string s => int.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var r) ? r : 0,
        byte[] bytes => int.TryParse(Encoding.UTF8.GetString(bytes).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var r) ? r : 0,
        _ => 0,
    };

    /// <summary>
    /// Optional or required string child. Returns false with <paramref name="error"/> set on a
    /// failure; <paramref name="value"/> is null when absent.
    /// </summary>
    public static bool TryGetString(object? obj, string parentName, string childName, bool required, out string? value, out string? error)
    {
        value = null;
        if (!TryGetChild(obj, parentName, childName, required, out var v, out var present, out error))
        {
            return false;
        }
        if (!present || (v is null && !required))
        {
            return true;
        }
        if (!TryGetString(v, out value))
        {
            error = $"{Parent(parentName)} contains '{childName}' with wrong type";
            return false;
        }
        return true;
    }

    public static bool TryGetList(object? obj, string parentName, string childName, bool required, out List<object?>? value, out string? error)
    {
        value = null;
        if (!TryGetChild(obj, parentName, childName, required, out var v, out var present, out error))
        {
            return false;
        }
        if (!present || (v is null && !required))
        {
            return true;
        }
        if (v is not List<object?> list)
        {
            error = $"{Parent(parentName)} contains '{childName}' with wrong type";
            return false;
        }
        value = list;
        return true;
    }

    public static bool TryGetKeyedObject(object? obj, string parentName, string childName, bool required, out Dictionary<string, object?>? value, out string? error)
    {
        value = null;
        if (!TryGetChild(obj, parentName, childName, required, out var v, out var present, out error))
        {
            return false;
        }
        if (!present || (v is null && !required))
        {
            return true;
        }
        if (v is not Dictionary<string, object?> d)
        {
            error = $"{Parent(parentName)} contains '{childName}' with wrong type";
            return false;
        }
        value = d;
        return true;
    }

    /// <summary>
    /// Lenient base64 as Qt's fromBase64: characters outside the alphabet are skipped, missing
    /// padding is tolerated, and both alphabets are understood.
    /// </summary>
    public static byte[] FromBase64(string s)
    {
        var sb = new StringBuilder(s.Length + 3);
        foreach (var c in s)
        {
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '+' or '/')
            {
                sb.Append(c);
            }
            else if (c == '-')
            {
                sb.Append('+');
            }
            else if (c == '_')
            {
                sb.Append('/');
            }
            else if (c == '=')
            {
                break;
            }
        }
        if (sb.Length % 4 == 1)
        {
            sb.Length--;
        }
        while (sb.Length % 4 != 0)
        {
            sb.Append('=');
        }
        var buffer = new byte[sb.Length / 4 * 3];
        return Convert.TryFromBase64String(sb.ToString(), buffer, out var written) ? buffer[..written] : [];
    }

    private static string Parent(string parentName) => parentName.Length > 0 ? parentName : "object";

    private static bool TryGetChild(object? obj, string parentName, string childName, bool required, out object? value, out bool present, out string? error)
    {
        value = null;
        present = false;
        error = null;
        if (obj is not Dictionary<string, object?> d)
        {
            error = $"{(parentName.Length > 0 ? parentName : "value")} is not an object";
            return false;
        }
        if (!d.TryGetValue(childName, out value))
        {
            if (required)
            {
                error = $"{Parent(parentName)} does not contain '{childName}'";
                return false;
            }
            return true;
        }
        present = true;
        return true;
    }
}
