using Pushpin.Common.TNetStrings;

namespace Pushpin.Common.Zrpc;

/// <summary>
/// A zrpc response: success with a value (null when the method returns nothing), or failure
/// with a condition and an optional value (often a message string).
/// </summary>
public sealed class ZrpcResponse
{
    public string? Id { get; init; }

    public bool Success { get; init; }

    public object? Value { get; init; }

    public string? Condition { get; init; }

    public static ZrpcResponse Ok(string? id, object? value) => new() { Id = id, Success = true, Value = value };

    public static ZrpcResponse Fail(string? id, string condition, object? value = null) =>
        new() { Id = id, Success = false, Condition = condition, Value = value };

    public byte[] Encode()
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (Id is not null)
        {
            d["id"] = Id;
        }
        d["success"] = Success;
        if (Success)
        {
            d["value"] = Value;
        }
        else
        {
            d["condition"] = Condition ?? "undefined-condition";
            if (Value is not null)
            {
                d["value"] = Value;
            }
        }
        return TnetString.Encode(d);
    }

    public static ZrpcResponse Decode(ReadOnlySpan<byte> data)
    {
        var d = TnetString.ParseDictionary(data);
        if (!d.TryGetValue("success", out var s) || s is not bool success)
        {
            throw new TnetStringException("zrpc response has no boolean 'success'");
        }
        d.TryGetValue("value", out var value);
        return new ZrpcResponse { Id = d.GetString("id"), Success = success, Value = value, Condition = d.GetString("condition") };
    }
}
