using System.Text;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>A retry packet from the handler (internals.md §4.5): re-run a request for sessions it hands back.</summary>
internal sealed record RetryPacket(
    IReadOnlyList<RetryRequest> Requests,
    string Method,
    string Uri,
    List<HttpHeader> Headers,
    byte[] Body,
    string? RouteId,
    InspectResult? Inspect,
    int RetrySeq)
{
    public static bool TryParse(Dictionary<string, object?> d, out RetryPacket? packet, out string? error)
    {
        packet = null;
        error = null;
        if (d.GetList("requests") is not { } list)
        {
            error = "no requests";
            return false;
        }
        var requests = new List<RetryRequest>(list.Count);
        foreach (var item in list)
        {
            if (TnetStringValues.AsDictionary(item) is not { } r ||
                r.GetDictionary("rid") is not { } rid ||
                rid.GetString("sender") is not { } sender ||
                rid.GetString("id") is not { } id ||
                r.GetInteger("in-seq") is not { } inSeq ||
                r.GetInteger("out-seq") is not { } outSeq ||
                r.GetInteger("out-credits") is not { } outCredits)
            {
                error = "bad request entry";
                return false;
            }
            requests.Add(new RetryRequest(
                sender,
                id,
                (int)inSeq,
                (int)outSeq,
                (int)outCredits,
                r.GetBoolean("router-resp"),
                r.TryGetValue("user-data", out var ud) ? ud : null,
                r.GetString("peer-address"),
                r.GetBoolean("https"),
                r.GetBoolean("debug"),
                r.GetBoolean("auto-cross-origin"),
                r.GetString("jsonp-callback"),
                r.GetBoolean("jsonp-extended-response")));
        }
        if (d.GetDictionary("request-data") is not { } rd || rd.GetString("method") is not { } method || rd.GetString("uri") is not { } uri)
        {
            error = "no request-data";
            return false;
        }
        var headers = new List<HttpHeader>();
        foreach (var h in rd.GetList("headers") ?? [])
        {
            if (TnetStringValues.AsList(h) is not { Count: 2 } pair || TnetStringValues.AsBytes(pair[0]) is not { } name || TnetStringValues.AsBytes(pair[1]) is not { } value)
            {
                error = "bad header";
                return false;
            }
            headers.Add(new HttpHeader(Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
        }
        var inspect = d.GetDictionary("inspect") is { } i ? InspectResult.FromDictionary(i) : null;
        packet = new RetryPacket(
            requests,
            method,
            uri,
            headers,
            TnetStringValues.AsBytes(rd.TryGetValue("body", out var b) ? b : null) ?? [],
            d.GetString("route"),
            inspect,
            d.GetInteger("retry-seq") is { } seq ? (int)seq : -1);
        return true;
    }
}

/// <summary>One client session of a retry packet: its zhttp state and the flags it was accepted with.</summary>
internal sealed record RetryRequest(
    string Sender,
    string Id,
    int InSeq,
    int OutSeq,
    int OutCredits,
    bool RouterResp,
    object? UserData,
    string? PeerAddress,
    bool Https,
    bool Debug,
    bool AutoCrossOrigin,
    string? JsonpCallback,
    bool JsonpExtendedResponse);
