using Pushpin.Common.TNetStrings;
using Pushpin.Handler.Http;
using Pushpin.Handler.Variants;

namespace Pushpin.Handler.Sessions;

/// <summary>
/// The arguments of a zrpc <c>accept</c> (internals.md §4.4), validated as upstream's
/// AcceptWorker: any malformed field makes the whole call fail with <c>bad-request</c>.
/// </summary>
internal sealed class AcceptRequest
{
    public List<RequestState> Requests { get; } = [];

    public required string Method { get; init; }

    public required string Uri { get; init; }

    /// <summary>Headers of the request as sent to the backend (CORS answers them).</summary>
    public HeaderList RequestHeaders { get; init; } = [];

    public required HttpResponseData Response { get; init; }

    public string? Route { get; init; }

    public string ChannelPrefix { get; init; } = string.Empty;

    public List<string> ImplicitChannels { get; } = [];

    public bool ResponseSent { get; init; }

    public bool Trusted { get; init; }

    /// <summary>The client's request as received (<c>orig-request-data</c>, else <c>request-data</c>), verbatim for retries.</summary>
    public Dictionary<string, object?>? OrigRequestData { get; init; }

    /// <summary>The <c>inspect</c> dict, verbatim for retries; null when absent.</summary>
    public Dictionary<string, object?>? Inspect { get; init; }

    /// <summary>Parses accept args; null when they are malformed (the caller answers <c>bad-request</c>).</summary>
    public static AcceptRequest? Parse(Dictionary<string, object?>? args)
    {
        if (args is null)
        {
            return null;
        }

        string? route = null;
        if (args.TryGetValue("route", out var v))
        {
            if (v is not byte[] b)
            {
                return null;
            }
            route = Latin1.ToText(Latin1.FromBytes(b));
        }

        var channelPrefix = string.Empty;
        if (args.TryGetValue("channel-prefix", out v))
        {
            if (v is not byte[] b)
            {
                return null;
            }
            channelPrefix = System.Text.Encoding.UTF8.GetString(b);
        }

        var implicitChannels = new List<string>();
        if (args.TryGetValue("channels", out v))
        {
            if (v is not List<object?> list)
            {
                return null;
            }
            foreach (var c in list)
            {
                if (c is not byte[] b)
                {
                    return null;
                }
                implicitChannels.Add(System.Text.Encoding.UTF8.GetString(b));
            }
        }

        if (!TryGetBool(args, "trusted", out var trusted) || !TryGetBool(args, "response-sent", out var responseSent))
        {
            return null;
        }

        if (!args.TryGetValue("requests", out v) || v is not List<object?> vrequests)
        {
            return null;
        }
        var requests = new List<RequestState>(vrequests.Count);
        foreach (var vr in vrequests)
        {
            var rs = ParseRequestState(vr);
            if (rs is null)
            {
                return null;
            }
            requests.Add(rs);
        }

        // The request as the backend saw it; the original client request may be absent (lenient).
        var requestHeaders = new HeaderList();
        if (!TryParseRequestData(args, "request-data", out var method, out var uri, requestHeaders))
        {
            return null;
        }
        if (args.ContainsKey("orig-request-data") && !TryParseRequestData(args, "orig-request-data", out _, out _, []))
        {
            return null;
        }

        if (!args.TryGetValue("response", out v) || v is not Dictionary<string, object?> rd)
        {
            return null;
        }
        var response = new HttpResponseData();
        if (!rd.TryGetValue("code", out var vcode) || !VariantAccess.CanConvertToInt(vcode))
        {
            return null;
        }
        response.Code = VariantAccess.ToInt(vcode);
        if (!rd.TryGetValue("reason", out var vreason) || vreason is not byte[] reason)
        {
            return null;
        }
        response.Reason = Latin1.FromBytes(reason);
        if (!rd.TryGetValue("headers", out var vheaders) || !TryReadHeaders(vheaders, response.Headers))
        {
            return null;
        }
        if (!rd.TryGetValue("body", out var vbody) || vbody is not byte[] body)
        {
            return null;
        }
        response.Body = body;

        var accept = new AcceptRequest
        {
            Method = method!,
            Uri = uri!,
            RequestHeaders = requestHeaders,
            Response = response,
            Route = route,
            ChannelPrefix = channelPrefix,
            ResponseSent = responseSent,
            Trusted = trusted,
            OrigRequestData = (args.GetValueOrDefault("orig-request-data") ?? args.GetValueOrDefault("request-data")) as Dictionary<string, object?>,
            Inspect = args.GetValueOrDefault("inspect") as Dictionary<string, object?>,
        };
        accept.Requests.AddRange(requests);
        accept.ImplicitChannels.AddRange(implicitChannels);
        return accept;
    }

    private static bool TryGetBool(Dictionary<string, object?> d, string key, out bool value)
    {
        value = false;
        if (!d.TryGetValue(key, out var v))
        {
            return true;
        }
        if (v is not bool b)
        {
            return false;
        }
        value = b;
        return true;
    }

    private static bool TryGetInt(Dictionary<string, object?> d, string key, bool required, out int value)
    {
        value = -1;
        if (!d.TryGetValue(key, out var v))
        {
            return !required;
        }
        var l = TnetStringValues.AsInteger(v);
        if (l is null)
        {
            return false;
        }
        value = (int)Math.Clamp(l.Value, int.MinValue, int.MaxValue);
        return true;
    }

    private static RequestState? ParseRequestState(object? vr)
    {
        if (vr is not Dictionary<string, object?> r)
        {
            return null;
        }
        if (!r.TryGetValue("rid", out var vrid) || vrid is not Dictionary<string, object?> rid)
        {
            return null;
        }
        if (!rid.TryGetValue("sender", out var vs) || vs is not byte[] sender || sender.Length == 0)
        {
            return null;
        }
        if (!rid.TryGetValue("id", out var vi) || vi is not byte[] id)
        {
            return null;
        }
        if (!TryGetInt(r, "in-seq", true, out var inSeq)
            || !TryGetInt(r, "out-seq", true, out var outSeq)
            || !TryGetInt(r, "out-credits", true, out var outCredits)
            || !TryGetInt(r, "response-code", false, out var responseCode)
            || !TryGetBool(r, "router-resp", out var routerResp)
            || !TryGetBool(r, "https", out var https)
            || !TryGetBool(r, "debug", out var debug)
            || !TryGetBool(r, "auto-cross-origin", out var autoCrossOrigin)
            || !TryGetBool(r, "jsonp-extended-response", out var jsonpExtended))
        {
            return null;
        }
        string? peerAddress = null;
        if (r.TryGetValue("peer-address", out var vpa))
        {
            if (vpa is not byte[] pa)
            {
                return null;
            }
            peerAddress = Latin1.FromBytes(pa);
        }
        string? jsonpCallback = null;
        if (r.TryGetValue("jsonp-callback", out var vcb))
        {
            if (vcb is not byte[] cb)
            {
                return null;
            }
            jsonpCallback = Latin1.FromBytes(cb);
        }
        r.TryGetValue("user-data", out var userData);
        return new RequestState
        {
            Sender = Latin1.FromBytes(sender),
            Id = Latin1.FromBytes(id),
            InSeq = inSeq,
            OutSeq = outSeq,
            OutCredits = outCredits,
            ResponseCode = responseCode,
            RouterResp = routerResp,
            Https = https,
            Debug = debug,
            PeerAddress = peerAddress,
            AutoCrossOrigin = autoCrossOrigin,
            JsonpCallback = jsonpCallback,
            JsonpExtendedResponse = jsonpExtended,
            UserData = userData,
        };
    }

    private static bool TryParseRequestData(Dictionary<string, object?> args, string field, out string? method, out string? uri, HeaderList headers)
    {
        method = uri = null;
        if (!args.TryGetValue(field, out var v) || v is not Dictionary<string, object?> rd)
        {
            return false;
        }
        if (!rd.TryGetValue("method", out var vm) || vm is not byte[] m || m.Length == 0)
        {
            return false;
        }
        if (!rd.TryGetValue("uri", out var vu) || vu is not byte[] u || !System.Uri.TryCreate(System.Text.Encoding.UTF8.GetString(u), UriKind.Absolute, out _))
        {
            return false;
        }
        if (!rd.TryGetValue("headers", out var vh) || !TryReadHeaders(vh, headers))
        {
            return false;
        }
        if (!rd.TryGetValue("body", out var vb) || vb is not byte[])
        {
            return false;
        }
        method = Latin1.FromBytes(m);
        uri = System.Text.Encoding.UTF8.GetString(u);
        return true;
    }

    private static bool TryReadHeaders(object? v, HeaderList output)
    {
        if (v is not List<object?> list)
        {
            return false;
        }
        foreach (var vh in list)
        {
            if (vh is not List<object?> pair || pair.Count != 2 || pair[0] is not byte[] name || pair[1] is not byte[] value)
            {
                return false;
            }
            output.Add(Latin1.FromBytes(name), Latin1.FromBytes(value));
        }
        return true;
    }
}
