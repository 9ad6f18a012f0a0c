using Pushpin.Common.TNetStrings;

namespace Pushpin.Proxy.Sessions;

/// <summary>The handler's answer to <c>inspect</c> (internals.md §4.3), also carried by retry and accept.</summary>
internal sealed record InspectResult(bool NoProxy, string? SharingKey, string? Sid, IReadOnlyList<KeyValuePair<string, string>> LastIds, object? UserData)
{
    public static InspectResult FromDictionary(Dictionary<string, object?> d)
    {
        var lastIds = new List<KeyValuePair<string, string>>();
        if (d.GetDictionary("last-ids") is { } ids)
        {
            foreach (var (channel, id) in ids)
            {
                if (TnetStringValues.AsString(id) is { } value)
                {
                    lastIds.Add(new(channel, value));
                }
            }
        }
        return new InspectResult(d.GetBoolean("no-proxy"), d.GetString("sharing-key"), d.GetString("sid"), lastIds, d.TryGetValue("user-data", out var u) ? u : null);
    }

    public Dictionary<string, object?> ToDictionary()
    {
        var d = new Dictionary<string, object?> { ["no-proxy"] = NoProxy };
        if (!string.IsNullOrEmpty(SharingKey))
        {
            d["sharing-key"] = SharingKey;
        }
        if (!string.IsNullOrEmpty(Sid))
        {
            d["sid"] = Sid;
        }
        if (LastIds.Count > 0)
        {
            d["last-ids"] = LastIds.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);
        }
        if (UserData is not null)
        {
            d["user-data"] = UserData;
        }
        return d;
    }
}
