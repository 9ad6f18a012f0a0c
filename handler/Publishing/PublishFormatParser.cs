using Pushpin.Common.Http;
using Pushpin.Handler.Http;
using Pushpin.Handler.Variants;

namespace Pushpin.Handler.Publishing;

/// <summary>Validates one format object of a publish item (upstream's PublishFormat::fromVariant).</summary>
internal static class PublishFormatParser
{
    public static PublishFormat? Parse(PublishFormatType type, object? input, bool isJson, out string? error)
    {
        var pn = type switch
        {
            PublishFormatType.HttpResponse => "'http-response'",
            PublishFormatType.HttpStream => "'http-stream'",
            _ => "'ws-message'",
        };
        if (input is not Dictionary<string, object?> obj)
        {
            error = $"{pn} is not an object";
            return null;
        }

        var output = new PublishFormat(type);
        if (!VariantAccess.TryGetString(obj, pn, "action", false, out var action, out error))
        {
            return null;
        }
        switch (action)
        {
            case null or "send":
                output.Action = PublishAction.Send;
                break;
            case "hint":
                output.Action = PublishAction.Hint;
                break;
            case "close":
                output.Action = PublishAction.Close;
                break;
            case "refresh":
                output.Action = PublishAction.Refresh;
                break;
            default:
                // Upstream rejects an unknown action without a message ("Invalid format: ").
                error = string.Empty;
                return null;
        }

        var ok = type switch
        {
            PublishFormatType.HttpResponse => output.Action != PublishAction.Send || ParseHttpResponse(obj, isJson, pn, output, out error),
            PublishFormatType.HttpStream => output.Action != PublishAction.Send || ParseHttpStream(obj, isJson, pn, output, out error),
            _ => ParseWsMessage(obj, isJson, pn, output, out error),
        };
        return ok ? output : null;
    }

    private static bool ParseHttpResponse(Dictionary<string, object?> obj, bool isJson, string pn, PublishFormat output, out string? error)
    {
        output.Code = 200;
        if (obj.TryGetValue("code", out var vcode))
        {
            if (!VariantAccess.CanConvertToInt(vcode))
            {
                error = $"{pn} contains 'code' with wrong type";
                return false;
            }
            output.Code = VariantAccess.ToInt(vcode);
            if (output.Code < 0 || output.Code > 999)
            {
                error = $"{pn} contains 'code' with invalid value";
                return false;
            }
        }
        if (!VariantAccess.TryGetString(obj, pn, "reason", false, out var reason, out error))
        {
            return false;
        }
        output.Reason = !string.IsNullOrEmpty(reason) ? Latin1.FromText(reason) : StatusReasons.Get(output.Code);

        if (obj.TryGetValue("headers", out var vheaders) && !HeaderValues.TryRead(vheaders, pn, output.Headers, out error))
        {
            return false;
        }
        if (!ParseContentFilters(obj, pn, output, out error))
        {
            return false;
        }

        if (isJson && obj.ContainsKey("body-bin"))
        {
            if (!VariantAccess.TryGetString(obj, pn, "body-bin", false, out var bin, out error))
            {
                return false;
            }
            output.Body = VariantAccess.FromBase64(bin ?? string.Empty);
        }
        else if (obj.TryGetValue("body", out var vbody))
        {
            if (!VariantAccess.TryGetBytes(vbody, out var body))
            {
                error = $"{pn} contains 'body' with wrong type";
                return false;
            }
            output.Body = body;
        }
        else if (obj.ContainsKey("body-patch"))
        {
            if (!VariantAccess.TryGetList(obj, pn, "body-patch", false, out var patch, out error))
            {
                return false;
            }
            output.BodyPatch = patch ?? [];
        }
        else
        {
            error = isJson
                ? $"{pn} does not contain 'body', 'body-bin', or 'body-patch'"
                : $"{pn} does not contain 'body' or 'body-patch'";
            return false;
        }
        error = null;
        return true;
    }

    private static bool ParseHttpStream(Dictionary<string, object?> obj, bool isJson, string pn, PublishFormat output, out string? error)
    {
        if (!ParseContentFilters(obj, pn, output, out error))
        {
            return false;
        }
        if (isJson && obj.ContainsKey("content-bin"))
        {
            if (!VariantAccess.TryGetString(obj, pn, "content-bin", false, out var bin, out error))
            {
                return false;
            }
            output.Body = VariantAccess.FromBase64(bin ?? string.Empty);
        }
        else if (obj.TryGetValue("content", out var vcontent))
        {
            if (!VariantAccess.TryGetBytes(vcontent, out var content))
            {
                error = $"{pn} contains 'content' with wrong type";
                return false;
            }
            output.Body = content;
        }
        else
        {
            error = isJson
                ? $"{pn} does not contain 'content' or 'content-bin'"
                : $"{pn} does not contain 'content'";
            return false;
        }
        error = null;
        return true;
    }

    private static bool ParseWsMessage(Dictionary<string, object?> obj, bool isJson, string pn, PublishFormat output, out string? error)
    {
        if (output.Action == PublishAction.Send)
        {
            if (!VariantAccess.TryGetString(obj, pn, "type", false, out var typeStr, out error))
            {
                return false;
            }
            if (typeStr is not null)
            {
                switch (typeStr)
                {
                    case "text":
                        output.MessageType = WsMessageType.Text;
                        break;
                    case "binary":
                        output.MessageType = WsMessageType.Binary;
                        break;
                    case "ping":
                        output.MessageType = WsMessageType.Ping;
                        break;
                    case "pong":
                        output.MessageType = WsMessageType.Pong;
                        break;
                    default:
                        error = $"{pn} contains 'type' with unknown value";
                        return false;
                }
            }
            if (!ParseContentFilters(obj, pn, output, out error))
            {
                return false;
            }
            if (obj.TryGetValue("content-bin", out var vbin))
            {
                if (isJson)
                {
                    if (vbin is not string s)
                    {
                        error = $"{pn} contains 'content-bin' with wrong type";
                        return false;
                    }
                    output.Body = VariantAccess.FromBase64(s);
                }
                else
                {
                    if (vbin is not byte[] b)
                    {
                        error = $"{pn} contains 'content-bin' with wrong type";
                        return false;
                    }
                    output.Body = b;
                }
                if (output.MessageType == WsMessageType.Unspecified)
                {
                    output.MessageType = WsMessageType.Binary;
                }
            }
            else if (obj.TryGetValue("content", out var vcontent))
            {
                if (!VariantAccess.TryGetBytes(vcontent, out var content))
                {
                    error = $"{pn} contains 'content' with wrong type";
                    return false;
                }
                output.Body = content;
                if (output.MessageType == WsMessageType.Unspecified)
                {
                    output.MessageType = WsMessageType.Text;
                }
            }
            else if (output.MessageType is WsMessageType.Text or WsMessageType.Binary or WsMessageType.Unspecified)
            {
                error = $"{pn} does not contain 'content' or 'content-bin'";
                return false;
            }
        }
        else if (output.Action == PublishAction.Close)
        {
            if (obj.TryGetValue("code", out var vcode))
            {
                if (!VariantAccess.CanConvertToInt(vcode))
                {
                    error = $"{pn} contains 'code' with wrong type";
                    return false;
                }
                output.Code = VariantAccess.ToInt(vcode);
                if (output.Code < 0)
                {
                    error = $"{pn} contains 'code' with invalid value";
                    return false;
                }
            }
            if (!VariantAccess.TryGetString(obj, pn, "reason", false, out var reason, out error))
            {
                return false;
            }
            if (!string.IsNullOrEmpty(reason))
            {
                output.Reason = Latin1.FromText(reason);
            }
        }
        error = null;
        return true;
    }

    private static bool ParseContentFilters(Dictionary<string, object?> obj, string pn, PublishFormat output, out string? error)
    {
        error = null;
        if (!obj.TryGetValue("content-filters", out var vfilters))
        {
            return true;
        }
        if (vfilters is not List<object?> list)
        {
            error = $"{pn} contains 'content-filters' with wrong type";
            return false;
        }
        var filters = new List<string>(list.Count);
        foreach (var v in list)
        {
            if (!VariantAccess.TryGetString(v, out var f))
            {
                error = "content-filters contains element with wrong type";
                return false;
            }
            filters.Add(f);
        }
        output.ContentFilters = filters;
        return true;
    }
}
