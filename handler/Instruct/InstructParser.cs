using Pushpin.Common.Http;
using System.Globalization;
using Pushpin.Handler.Http;
using Pushpin.Handler.Variants;

namespace Pushpin.Handler.Instruct;

/// <summary>
/// Reads GRIP instructions from a backend response: the <c>Grip-*</c> headers, then (for
/// <c>Content-Type: application/grip-instruct</c>) the JSON body. Error texts are upstream's,
/// since the proxy shows them to clients in debug mode.
/// </summary>
internal static class InstructParser
{
    /// <summary>Most filters one channel may carry.</summary>
    public const int MaxFiltersPerChannel = 5;

    public static bool TryParse(HttpResponseData response, out GripInstruct? instruct, out string error)
    {
        instruct = null;
        var result = Parse(response, out var message);
        if (result is null)
        {
            error = message ?? string.Empty;
            return false;
        }
        instruct = result;
        error = string.Empty;
        return true;
    }

    private static GripInstruct? Parse(HttpResponseData response, out string? error)
    {
        error = null;
        var headers = response.Headers;
        var holdMode = HoldMode.None;
        var channels = new List<InstructChannel>();
        var timeout = -1;
        var keepAliveMode = KeepAliveMode.None;
        byte[] keepAliveData = [];
        var keepAliveTimeout = -1;
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);

        if (headers.Contains("Grip-Hold"))
        {
            var hold = headers.Get("Grip-Hold");
            if (hold == "response")
            {
                holdMode = HoldMode.Response;
            }
            else if (hold == "stream")
            {
                holdMode = HoldMode.Stream;
            }
            else
            {
                error = "Grip-Hold must be set to either 'response' or 'stream'";
                return null;
            }
        }

        foreach (var p in headers.GetAllAsParameters("Grip-Channel"))
        {
            if (p.IsEmpty || p[0].Name.Length == 0)
            {
                error = "failed to parse Grip-Channel";
                return null;
            }
            var c = new InstructChannel(Latin1.ToText(p[0].Name));
            var prevId = p.Get("prev-id");
            if (prevId is not null)
            {
                c.PrevId = Latin1.ToText(prevId);
            }
            for (var n = 1; n < p.Count; ++n)
            {
                if (p[n].Name == "filter")
                {
                    c.Filters.Add(Latin1.ToText(p[n].Value ?? string.Empty));
                }
            }
            if (c.Filters.Count > MaxFiltersPerChannel)
            {
                error = $"too many filters for channel '{c.Name}'";
                return null;
            }
            channels.Add(c);
        }

        if (headers.Contains("Grip-Timeout"))
        {
            if (!TryParseInt(headers.Get("Grip-Timeout"), out timeout))
            {
                error = "failed to parse Grip-Timeout";
                return null;
            }
            if (timeout < 0)
            {
                error = "Grip-Timeout has invalid value";
                return null;
            }
        }

        var exposeHeaders = headers.GetAll("Grip-Expose-Headers");

        var ka = headers.GetAsParameters("Grip-Keep-Alive");
        if (!ka.IsEmpty)
        {
            var val = ka[0].Name;
            if (val.Length == 0)
            {
                error = "Grip-Keep-Alive cannot be empty";
                return null;
            }

            var mode = ka.Get("mode");
            if (string.IsNullOrEmpty(mode) || mode == "idle")
            {
                keepAliveMode = KeepAliveMode.Idle;
            }
            else if (mode == "interval")
            {
                keepAliveMode = KeepAliveMode.Interval;
            }
            else
            {
                error = $"no such Grip-Keep-Alive mode '{Latin1.ToText(mode)}'";
                return null;
            }

            if (ka.Contains("timeout"))
            {
                if (!TryParseInt(ka.Get("timeout"), out keepAliveTimeout))
                {
                    error = "failed to parse Grip-Keep-Alive timeout value";
                    return null;
                }
                if (keepAliveTimeout < 0)
                {
                    error = "Grip-Keep-Alive timeout has invalid value";
                    return null;
                }
            }
            else
            {
                keepAliveTimeout = GripInstruct.DefaultResponseTimeout;
            }

            var format = ka.Get("format");
            if (string.IsNullOrEmpty(format) || format == "raw")
            {
                keepAliveData = Latin1.ToBytes(val);
            }
            else if (format == "cstring")
            {
                var unescaped = Unescape(Latin1.ToBytes(val));
                if (unescaped is null)
                {
                    error = "failed to parse Grip-Keep-Alive cstring format";
                    return null;
                }
                keepAliveData = unescaped;
            }
            else if (format == "base64")
            {
                keepAliveData = VariantAccess.FromBase64(val);
            }
            else
            {
                error = $"no such Grip-Keep-Alive format '{Latin1.ToText(format)}'";
                return null;
            }
        }

        foreach (var p in headers.GetAllAsParameters("Grip-Set-Meta", allParameters: true))
        {
            if (p.IsEmpty)
            {
                error = "Grip-Set-Meta cannot be empty";
                return null;
            }
            meta[Latin1.ToText(p[0].Name)] = Latin1.ToText(p[0].Value ?? string.Empty);
        }

        var newResponse = response.Clone();

        var status = headers.Get("Grip-Status");
        if (!string.IsNullOrEmpty(status))
        {
            var at = status.IndexOf(' ', StringComparison.Ordinal);
            var codeStr = at != -1 ? status[..at] : status;
            var reason = at != -1 ? status[(at + 1)..] : string.Empty;
            if (!TryParseInt(codeStr, out var code) || code < 0 || code > 999)
            {
                error = "Grip-Status contains invalid status code";
                return null;
            }
            newResponse.Code = code;
            newResponse.Reason = reason;
        }

        string? nextLink = null;
        var nextLinkTimeout = -1;
        string? goneLink = null;
        foreach (var p in headers.GetAllAsParameters("Grip-Link"))
        {
            if (p.Count < 2)
            {
                continue;
            }
            var link = p[0].Name;
            if (link.Length <= 2 || link[0] != '<' || link[^1] != '>')
            {
                error = "failed to parse Grip-Link value";
                return null;
            }
            var linkString = Latin1.ToText(link[1..^1]);
            if (!Uri.TryCreate(linkString, UriKind.RelativeOrAbsolute, out _))
            {
                error = "Grip-Link contains invalid link";
                return null;
            }
            var rel = p.Get("rel");
            if (rel == "next")
            {
                nextLink = linkString;
                if (p.Contains("timeout"))
                {
                    if (!TryParseInt(p.Get("timeout"), out nextLinkTimeout))
                    {
                        error = "failed to parse Grip-Link timeout value";
                        return null;
                    }
                    if (nextLinkTimeout < 0)
                    {
                        error = "Grip-Link timeout has invalid value";
                        return null;
                    }
                }
                else
                {
                    nextLinkTimeout = GripInstruct.DefaultNextLinkTimeout;
                }
            }
            else if (rel == "gone")
            {
                goneLink = linkString;
            }
        }

        // Keep everything but Grip-*, or only the exposed headers when Grip-Expose-Headers is set.
        newResponse.Headers = [];
        foreach (var h in headers)
        {
            if (h.Key.StartsWith("Grip-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (exposeHeaders.Count > 0 && !exposeHeaders.Exists(e => string.Equals(e, h.Key, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            newResponse.Headers.Add(h);
        }

        if (headers.GetFirstParameter("Content-Type") == "application/grip-instruct")
        {
            if (!ApplyJson(response, newResponse, channels, meta, ref holdMode, ref timeout, ref keepAliveData, ref keepAliveTimeout, out error))
            {
                return null;
            }
        }

        if (newResponse.Reason.Length == 0)
        {
            newResponse.Reason = StatusReasons.Get(newResponse.Code);
        }
        if (timeout == -1)
        {
            timeout = GripInstruct.DefaultResponseTimeout;
        }
        timeout = Math.Max(timeout, GripInstruct.MinimumResponseTimeout);
        if (keepAliveTimeout != -1 && keepAliveTimeout < 1)
        {
            keepAliveTimeout = 1;
        }

        return new GripInstruct
        {
            HoldMode = holdMode,
            Channels = channels,
            Timeout = timeout,
            ExposeHeaders = exposeHeaders,
            KeepAliveMode = keepAliveMode,
            KeepAliveData = keepAliveData,
            KeepAliveTimeout = keepAliveTimeout,
            Meta = meta,
            Response = newResponse,
            NextLink = nextLink,
            NextLinkTimeout = nextLinkTimeout,
            GoneLink = goneLink,
        };
    }

    private static bool ApplyJson(
        HttpResponseData response,
        HttpResponseData newResponse,
        List<InstructChannel> channels,
        Dictionary<string, string> meta,
        ref HoldMode holdMode,
        ref int timeout,
        ref byte[] keepAliveData,
        ref int keepAliveTimeout,
        out string? error)
    {
        if (response.Code != 200)
        {
            error = "response code for application/grip-instruct content must be 200";
            return false;
        }
        if (!JsonVariant.TryParse(response.Body, out var doc))
        {
            error = "failed to parse application/grip-instruct content as JSON";
            return false;
        }
        if (doc is not JsonMap instruct)
        {
            error = "instruct must be an object";
            return false;
        }

        if (instruct.TryGetValue("hold", out var vhold))
        {
            if (vhold is not JsonMap)
            {
                error = "instruct contains 'hold' with wrong type";
                return false;
            }
            const string pn = "hold";
            if (!VariantAccess.TryGetString(vhold, pn, "mode", false, out var modeStr, out error))
            {
                return false;
            }
            if (modeStr is not null)
            {
                if (modeStr == "response")
                {
                    holdMode = HoldMode.Response;
                }
                else if (modeStr == "stream")
                {
                    holdMode = HoldMode.Stream;
                }
                else
                {
                    error = "hold 'mode' must be set to either 'response' or 'stream'";
                    return false;
                }
            }
            else
            {
                holdMode = HoldMode.Response;
            }

            if (!VariantAccess.TryGetList(vhold, pn, "channels", true, out var vchannels, out error))
            {
                return false;
            }
            foreach (var vchannel in vchannels!)
            {
                const string cpn = "channel";
                if (!VariantAccess.TryGetString(vchannel, cpn, "name", true, out var name, out error))
                {
                    return false;
                }
                var c = new InstructChannel(name!);
                if (!VariantAccess.TryGetString(vchannel, cpn, "prev-id", false, out var prevId, out error))
                {
                    return false;
                }
                c.PrevId = prevId;
                if (!VariantAccess.TryGetList(vchannel, cpn, "filters", false, out var vfilters, out error))
                {
                    return false;
                }
                foreach (var vf in vfilters ?? [])
                {
                    if (!VariantAccess.TryGetString(vf, out var f))
                    {
                        error = "filters contains value with wrong type";
                        return false;
                    }
                    c.Filters.Add(f);
                }
                channels.Add(c);
            }

            if (VariantAccess.Contains(vhold, "timeout"))
            {
                var vt = VariantAccess.Get(vhold, "timeout");
                if (!VariantAccess.CanConvertToInt(vt))
                {
                    error = $"{pn} contains 'timeout' with wrong type";
                    return false;
                }
                timeout = VariantAccess.ToInt(vt);
                if (timeout < 0)
                {
                    error = $"{pn} contains 'timeout' with invalid value";
                    return false;
                }
            }

            if (!VariantAccess.TryGetKeyedObject(vhold, pn, "keep-alive", false, out var vka, out error))
            {
                return false;
            }
            if (vka is not null)
            {
                const string kpn = "keep-alive";
                if (vka.ContainsKey("content-bin"))
                {
                    if (!VariantAccess.TryGetString(vka, kpn, "content-bin", false, out var bin, out error))
                    {
                        return false;
                    }
                    keepAliveData = VariantAccess.FromBase64(bin ?? string.Empty);
                }
                else if (vka.TryGetValue("content", out var vcontent))
                {
                    if (!VariantAccess.TryGetBytes(vcontent, out var content))
                    {
                        error = $"{kpn} contains 'content' with wrong type";
                        return false;
                    }
                    keepAliveData = content;
                }

                if (vka.TryGetValue("timeout", out var vkt))
                {
                    if (!VariantAccess.CanConvertToInt(vkt))
                    {
                        error = $"{kpn} contains 'timeout' with wrong type";
                        return false;
                    }
                    keepAliveTimeout = VariantAccess.ToInt(vkt);
                    if (keepAliveTimeout < 0)
                    {
                        error = $"{kpn} contains 'timeout' with invalid value";
                        return false;
                    }
                }
                else
                {
                    keepAliveTimeout = GripInstruct.DefaultResponseTimeout;
                }
            }

            if (!VariantAccess.TryGetKeyedObject(vhold, pn, "meta", false, out var vmeta, out error))
            {
                return false;
            }
            if (vmeta is not null)
            {
                foreach (var (key, vval) in vmeta)
                {
                    if (!VariantAccess.TryGetString(vval, out var s))
                    {
                        error = $"'meta' contains '{key}' with wrong type";
                        return false;
                    }
                    meta[key] = s;
                }
            }
        }

        // The backend's own headers and body are replaced by the JSON response (or nothing).
        newResponse.Headers = [];
        newResponse.Body = [];

        if (instruct.TryGetValue("response", out var vresponse))
        {
            if (vresponse is not JsonMap rin)
            {
                // Upstream fails here without a message.
                error = string.Empty;
                return false;
            }
            const string pn = "response";
            if (rin.TryGetValue("code", out var vcode))
            {
                if (!VariantAccess.CanConvertToInt(vcode))
                {
                    error = $"{pn} contains 'code' with wrong type";
                    return false;
                }
                newResponse.Code = VariantAccess.ToInt(vcode);
                if (newResponse.Code < 0 || newResponse.Code > 999)
                {
                    error = $"{pn} contains 'code' with invalid value";
                    return false;
                }
                newResponse.Reason = string.Empty;
            }
            if (!VariantAccess.TryGetString(rin, pn, "reason", false, out var reason, out error))
            {
                return false;
            }
            if (!string.IsNullOrEmpty(reason))
            {
                newResponse.Reason = Latin1.FromText(reason);
            }
            if (rin.TryGetValue("headers", out var vheaders))
            {
                if (!HeaderValues.TryRead(vheaders, pn, newResponse.Headers, out error))
                {
                    return false;
                }
            }
            if (rin.ContainsKey("body-bin"))
            {
                if (!VariantAccess.TryGetString(rin, pn, "body-bin", false, out var bin, out error))
                {
                    return false;
                }
                newResponse.Body = VariantAccess.FromBase64(bin ?? string.Empty);
            }
            else if (rin.TryGetValue("body", out var vbody))
            {
                if (!VariantAccess.TryGetBytes(vbody, out var body))
                {
                    error = $"{pn} contains 'body' with wrong type";
                    return false;
                }
                newResponse.Body = body;
            }
        }

        error = null;
        return true;
    }

    private static bool TryParseInt(string? s, out int value) =>
        int.TryParse(s?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    // Grip-Keep-Alive cstring format: \\, \r, \n and \xHH; other escapes are dropped; a
    // dangling backslash or bad hex is an error (null).
    private static byte[]? Unescape(byte[] input)
    {
        var output = new List<byte>(input.Length);
        for (var n = 0; n < input.Length; ++n)
        {
            if (input[n] != '\\')
            {
                output.Add(input[n]);
                continue;
            }
            if (n + 1 >= input.Length)
            {
                return null;
            }
            ++n;
            switch (input[n])
            {
                case (byte)'\\':
                    output.Add((byte)'\\');
                    break;
                case (byte)'r':
                    output.Add((byte)'\r');
                    break;
                case (byte)'n':
                    output.Add((byte)'\n');
                    break;
                case (byte)'x':
                    if (n + 2 >= input.Length)
                    {
                        return null;
                    }
                    var hi = HexValue(input[n + 1]);
                    var lo = HexValue(input[n + 2]);
                    n += 2;
                    if (hi == -1 || lo == -1)
                    {
                        return null;
                    }
                    output.Add((byte)((hi << 4) + lo));
                    break;
                default:
                    break;
            }
        }
        return [.. output];
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
