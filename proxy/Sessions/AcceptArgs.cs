using System.Text;
using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>Builds the zrpc <c>accept</c> arguments (internals.md §4.4) for a handed-off session.</summary>
internal static class AcceptArgs
{
    public static Dictionary<string, object?> Build(ProxySession s, ProxyOptions options)
    {
        var request = new Dictionary<string, object?>
        {
            ["rid"] = new Dictionary<string, object?> { ["sender"] = s.RequesterId, ["id"] = s.Id },
            ["in-seq"] = (long)s.InSeq,
            ["out-seq"] = (long)s.OutSeq,
            ["out-credits"] = (long)s.OutCredits,
        };
        if (s.RouterResp)
        {
            request["router-resp"] = true;
        }
        if (s.AcceptResponseHeaders is not null)
        {
            request["response-code"] = (long)s.ResponseCode;
        }
        if (s.Https)
        {
            request["https"] = true;
        }
        if (s.PeerAddress is not null)
        {
            request["peer-address"] = s.PeerAddress;
        }
        if (s.LogicalPeerAddress is not null)
        {
            request["logical-peer-address"] = s.LogicalPeerAddress;
        }
        if (s.Debug)
        {
            request["debug"] = true;
        }
        if (s.AutoCrossOrigin)
        {
            request["auto-cross-origin"] = true;
        }
        if (s.JsonpCallback is not null)
        {
            request["jsonp-callback"] = s.JsonpCallback;
            if (s.JsonpExtended)
            {
                request["jsonp-extended-response"] = true;
            }
        }
        if (s.UserData is not null)
        {
            request["user-data"] = s.UserData;
        }
        if (s.IsRetry)
        {
            request["is-retry"] = true;
        }

        var body = s.RequestBodyCopy.ToArray();
        var args = new Dictionary<string, object?>
        {
            ["requests"] = new List<object?> { request },
            ["request-data"] = RequestData(s.Method, s.Uri.ToString(), s.Headers, body),
            ["orig-request-data"] = RequestData(s.Method, s.OrigUri.ToString(), s.OrigHeaders, body),
            ["route"] = s.Route.Id,
        };
        if (!s.NoProxy)
        {
            // A no-proxy request has no response yet: the handler makes it.
            args["response"] = s.AcceptResponseHeaders is { } sent
                ? new Dictionary<string, object?>
                {
                    ["code"] = (long)s.AcceptResponseCode,
                    ["reason"] = Encoding.Latin1.GetBytes(s.AcceptResponseReason),
                    ["headers"] = Headers(sent),
                    ["body"] = Array.Empty<byte>(),
                }
                : new Dictionary<string, object?>
                {
                    ["code"] = (long)s.ResponseCode,
                    ["reason"] = Encoding.Latin1.GetBytes(s.ResponseReason),
                    ["headers"] = Headers(s.ResponseHeaders),
                    ["body"] = s.InstructBody.ToArray(),
                };
        }
        if (s.Inspect is not null)
        {
            args["inspect"] = s.Inspect.ToDictionary();
        }
        if (s.Route.ExplicitId)
        {
            args["separate-stats"] = true;
        }
        if (s.Route.Prefix.Length > 0)
        {
            args["channel-prefix"] = s.Route.Prefix;
        }
        if (s.Route.LogLevel >= 0)
        {
            args["log-level"] = (long)s.Route.LogLevel;
        }
        if (s.Target is { Subscriptions.Count: > 0 } t)
        {
            args["channels"] = t.Subscriptions.Select(c => (object?)c).ToList();
        }
        if (s.Target is { Trusted: true })
        {
            args["trusted"] = true;
        }
        if (s.AcceptResponseHeaders is not null)
        {
            args["response-sent"] = true;
        }
        if (s.Route.Session)
        {
            args["use-session"] = true;
        }
        _ = options;
        return args;
    }

    private static Dictionary<string, object?> RequestData(string method, string uri, List<HttpHeader> headers, byte[] body) => new()
    {
        ["method"] = method,
        ["uri"] = uri,
        ["headers"] = Headers(headers),
        ["body"] = body,
    };

    // Header names and values are Latin-1 so any byte round-trips.
    private static List<object?> Headers(List<HttpHeader> headers) =>
        headers.Select(h => (object?)new List<object?> { Encoding.Latin1.GetBytes(h.Name), Encoding.Latin1.GetBytes(h.Value) }).ToList();
}
