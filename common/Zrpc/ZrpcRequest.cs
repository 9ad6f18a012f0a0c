using Pushpin.Common.TNetStrings;

namespace Pushpin.Common.Zrpc;

/// <summary>A zrpc request (internals.md §4.1): bare TNetString dict, no prefix.</summary>
public sealed class ZrpcRequest
{
    public string? From { get; init; }

    /// <summary>Absent for fire-and-forget requests (e.g. conn-max), which get no reply.</summary>
    public string? Id { get; init; }

    public required string Method { get; init; }

    public Dictionary<string, object?>? Args { get; init; }

    public byte[] Encode()
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (From is not null)
        {
            d["from"] = From;
        }
        if (Id is not null)
        {
            d["id"] = Id;
        }
        d["method"] = Method;
        if (Args is not null)
        {
            d["args"] = Args;
        }
        return TnetString.Encode(d);
    }

    /// <summary>Parses a request; throws <see cref="TnetStringException"/> on malformed input.</summary>
    public static ZrpcRequest Decode(ReadOnlySpan<byte> data)
    {
        var d = TnetString.ParseDictionary(data);
        var method = d.GetString("method") ?? throw new TnetStringException("zrpc request has no 'method'");
        var args = d.TryGetValue("args", out var a) ? a as Dictionary<string, object?> ?? throw new TnetStringException("zrpc 'args' is not a dictionary") : null;
        return new ZrpcRequest { From = d.GetString("from"), Id = d.GetString("id"), Method = method, Args = args };
    }
}
