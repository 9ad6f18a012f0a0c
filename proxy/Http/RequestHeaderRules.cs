using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Routing;
using Pushpin.Proxy.Signing;

namespace Pushpin.Proxy.Http;

/// <summary>
/// Rewrites a client's request headers for the backend (behavior.md §1.1; upstream
/// <c>ProxyUtil::manipulateRequestHeaders</c>).
/// </summary>
public static class RequestHeaderRules
{
    /// <summary>The <c>Grip-Feature</c> value (HEAD, v2).</summary>
    public const string GripFeatures = "status, session, link:next, link:gone, filter:skip-self, filter:skip-users, filter:require-sub, filter:build-id, filter:var-subst, filter:http-check, filter:http-modify";

    private const string OrigPrefix = "eb9bf0f5-";

    private static readonly string[] HopByHop = ["Connection", "Keep-Alive", "Accept-Encoding", "Content-Encoding", "Transfer-Encoding", "Expect"];

    /// <summary>Applies route <c>header=</c> props, then every §1.1 rule, in upstream's order.</summary>
    /// <param name="internalRequest">The handler's own request (intreq): its <c>Grip-*</c> headers (e.g. <c>Grip-Last</c>) are kept.</param>
    /// <param name="sessionId">Inspect's <c>sid</c>: sent as <c>Grip-Session-Id</c>.</param>
    /// <param name="lastIds">Inspect's <c>last-ids</c>: one <c>Grip-Last</c> per channel.</param>
    public static void Apply(List<HttpHeader> headers, Route route, ProxyOptions options, bool trustedClient, string? peerAddress, string scheme, DateTimeOffset now, bool internalRequest = false, string? sessionId = null, IReadOnlyList<KeyValuePair<string, string>>? lastIds = null)
    {
        foreach (var (name, value) in route.Headers)
        {
            RemoveAll(headers, name);
            if (value.Length > 0)
            {
                headers.Add(new HttpHeader(name, value));
            }
        }

        if (!trustedClient && route.OrigHeaders)
        {
            var orig = new List<HttpHeader>();
            for (var n = 0; n < headers.Count; n++)
            {
                var h = headers[n];
                if (h.Name.StartsWith(OrigPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    orig.Add(h);
                    headers.RemoveAt(n--);
                }
                else if (!options.OrigHeadersNeedMark.Any(m => h.Is(m)))
                {
                    orig.Add(new HttpHeader(OrigPrefix + h.Name, h.Value));
                }
            }
            headers.AddRange(orig);
        }
        else if (!route.OrigHeaders)
        {
            headers.RemoveAll(h => h.Name.StartsWith(OrigPrefix, StringComparison.OrdinalIgnoreCase));
        }

        foreach (var name in HopByHop)
        {
            RemoveAll(headers, name);
        }

        if (options.AcceptPushpinRoute)
        {
            RemoveAll(headers, "Pushpin-Route");
        }

        if (options.CdnLoop.Length > 0)
        {
            var values = headers.Where(h => h.Is("CDN-Loop")).Select(h => h.Value).ToList();
            RemoveAll(headers, "CDN-Loop");
            values.Add(options.CdnLoop);
            headers.Add(new HttpHeader("CDN-Loop", string.Join(", ", values)));
        }

        if (!trustedClient && !internalRequest)
        {
            headers.RemoveAll(h => h.Name.StartsWith("Grip-", StringComparison.OrdinalIgnoreCase));
        }

        if (!trustedClient && route.Grip)
        {
            var iss = route.SigIss.Length > 0 ? route.SigIss : options.SigIss;
            var key = route.SigKey ?? options.SigKey;
            if (iss.Length > 0 && key is not null)
            {
                RemoveAll(headers, "Grip-Sig");
                headers.Add(new HttpHeader("Grip-Sig", GripSig.Create(iss, key, now)));
            }
            RemoveAll(headers, "Grip-Feature");
            headers.Add(new HttpHeader("Grip-Feature", GripFeatures));
            if (!string.IsNullOrEmpty(sessionId))
            {
                RemoveAll(headers, "Grip-Session-Id");
                headers.Add(new HttpHeader("Grip-Session-Id", sessionId));
            }
            foreach (var (channel, id) in lastIds ?? [])
            {
                headers.Add(new HttpHeader("Grip-Last", channel + "; last-id=" + id));
            }
        }

        if (options.AcceptXForwardedProtocol || options.SetXForwardedProto || options.SetXForwardedProtocol)
        {
            RemoveAll(headers, "X-Forwarded-Proto");
            RemoveAll(headers, "X-Forwarded-Protocol");
        }
        if ((options.SetXForwardedProto || options.SetXForwardedProtocol) && scheme is "https" or "wss")
        {
            if (options.SetXForwardedProto)
            {
                headers.Add(new HttpHeader("X-Forwarded-Proto", scheme));
            }
            if (options.SetXForwardedProtocol)
            {
                headers.Add(new HttpHeader("X-Forwarded-Protocol", scheme));
            }
        }

        var rule = trustedClient ? options.XffTrusted : options.XffUntrusted;
        var xff = SplitValues(headers, "X-Forwarded-For");
        RemoveAll(headers, "X-Forwarded-For");
        if (rule.Truncate >= 0)
        {
            xff = xff.Skip(Math.Max(xff.Count - rule.Truncate, 0)).ToList();
        }
        if (rule.Append && !string.IsNullOrEmpty(peerAddress))
        {
            xff.Add(peerAddress);
        }
        if (xff.Count > 0)
        {
            headers.Add(new HttpHeader("X-Forwarded-For", string.Join(", ", xff)));
        }
    }

    /// <summary>Sets <c>Host</c> to the URI's authority, leaving it alone if it already matches.</summary>
    public static void ApplyHost(List<HttpHeader> headers, RequestUri uri)
    {
        var value = uri.Authority;
        var current = headers.FirstOrDefault(h => h.Is("Host"));
        if (current.Name is not null && current.Value == value)
        {
            return;
        }
        RemoveAll(headers, "Host");
        headers.Add(new HttpHeader("Host", value));
    }

    /// <summary>True when the client's Grip-Sig verifies with the upstream key (§4.3).</summary>
    public static bool IsTrustedClient(IReadOnlyList<HttpHeader> headers, GripSigningKey? upstreamKey, DateTimeOffset now)
    {
        if (upstreamKey is null)
        {
            return false;
        }
        var token = headers.FirstOrDefault(h => h.Is("Grip-Sig")).Value;
        return !string.IsNullOrEmpty(token) && GripSig.Validate(token, upstreamKey, now);
    }

    /// <summary>The client address for logs and stats: the first X-Forwarded-For value unless the rule drops them all.</summary>
    public static string? LogicalPeerAddress(IReadOnlyList<HttpHeader> headers, XffRule rule, string? peerAddress)
    {
        if (rule.Truncate != 0)
        {
            var first = SplitValues(headers, "X-Forwarded-For").FirstOrDefault();
            if (first is not null && System.Net.IPAddress.TryParse(first, out _))
            {
                return first;
            }
        }
        return peerAddress;
    }

    internal static void RemoveAll(List<HttpHeader> headers, string name) => headers.RemoveAll(h => h.Is(name));

    private static List<string> SplitValues(IEnumerable<HttpHeader> headers, string name)
    {
        var values = new List<string>();
        foreach (var h in headers)
        {
            if (h.Is(name))
            {
                foreach (var v in h.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    values.Add(v);
                }
            }
        }
        return values;
    }
}
