using Pushpin.Handler.Http;

namespace Pushpin.Handler.Variants;

/// <summary>Reads a <c>headers</c> field: a list of <c>[name, value]</c> pairs or an object.</summary>
internal static class HeaderValues
{
    public static bool TryRead(object? vheaders, string parentName, HeaderList output, out string? error)
    {
        error = null;
        if (vheaders is List<object?> list)
        {
            foreach (var vheader in list)
            {
                if (vheader is not List<object?> pair)
                {
                    error = "headers contains element with wrong type";
                    return false;
                }
                if (pair.Count != 2)
                {
                    error = "headers contains list with wrong number of elements";
                    return false;
                }
                if (!VariantAccess.TryGetString(pair[0], out var name))
                {
                    error = "header contains name element with wrong type";
                    return false;
                }
                if (!VariantAccess.TryGetString(pair[1], out var value))
                {
                    error = "header contains value element with wrong type";
                    return false;
                }
                output.Add(Latin1.FromText(name), Latin1.FromText(value));
            }
            return true;
        }
        if (vheaders is Dictionary<string, object?> map)
        {
            foreach (var (key, vval) in map)
            {
                if (!VariantAccess.TryGetString(vval, out var value))
                {
                    error = $"headers contains '{key}' with wrong type";
                    return false;
                }
                output.Add(Latin1.FromText(key), Latin1.FromText(value));
            }
            return true;
        }
        error = $"{parentName} contains 'headers' with wrong type";
        return false;
    }
}
