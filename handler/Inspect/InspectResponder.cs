using System.Text;
using Pushpin.Common.Zrpc;
using Pushpin.Handler.Http;

namespace Pushpin.Handler.Inspect;

/// <summary>
/// Answers the proxy's zrpc <c>inspect</c> (internals.md §4.3) as upstream's handler does without a
/// state service: always proxy (<c>no-proxy</c> false), and a <c>sharing-key</c> for auto-shared
/// GETs (URI without its query, plus the sorted <c>Grip-Last</c> values) or, with
/// <c>[handler] share_all</c>, for every request (<c>METHOD|uri</c>). <c>sid</c>, <c>last-ids</c>
/// and <c>user-data</c> come from session detection rules of the state service (<c>state_spec</c>),
/// which we do not have, so they are never set. Stateless and allocation-light: it runs on the
/// inspect socket's own pump, never on the engine loop.
/// </summary>
internal static class InspectResponder
{
    public static ZrpcResponse Answer(ZrpcRequest request, bool shareAll)
    {
        if (request.Method != "inspect")
        {
            return ZrpcResponse.Fail(request.Id, "method-not-found");
        }
        var args = request.Args;
        if (args is null
            || !TryBytes(args, "method", out var method)
            || !TryBytes(args, "uri", out var uriBytes)
            || !TryHeaders(args, out var headers)
            || !TryBytes(args, "body", out _)
            || !OptionalBool(args, "truncated", out _)
            || !OptionalBool(args, "get-session", out _)
            || !OptionalBool(args, "auto-share", out var autoShare))
        {
            return ZrpcResponse.Fail(request.Id, "bad-request");
        }
        if (!Uri.TryCreate(Encoding.UTF8.GetString(uriBytes), UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            return ZrpcResponse.Fail(request.Id, "bad-request");
        }
        // Keys are built from the bytes as received (Latin-1 round-trips them).
        var uri = Encoding.Latin1.GetString(uriBytes);
        var methodText = Encoding.Latin1.GetString(method);
        var result = new Dictionary<string, object?>(StringComparer.Ordinal) { ["no-proxy"] = false };
        if (autoShare && methodText == "GET")
        {
            result["sharing-key"] = Encoding.Latin1.GetBytes(AutoShareKey(uri, headers));
        }
        else if (shareAll)
        {
            result["sharing-key"] = Encoding.Latin1.GetBytes(methodText + "|" + uri);
        }
        return ZrpcResponse.Ok(request.Id, result);
    }

    // The query is left out (it may differ per client, and Grip-Last supersedes it); requests
    // that resume from the same positions share.
    private static string AutoShareKey(string uri, HeaderList headers)
    {
        var lasts = headers.GetAll("Grip-Last");
        lasts.Sort(StringComparer.Ordinal);
        var key = new StringBuilder("auto|").Append(UriText.WithoutQuery(uri));
        foreach (var last in lasts)
        {
            key.Append('|').Append(last);
        }
        return key.ToString();
    }

    private static bool TryBytes(Dictionary<string, object?> args, string key, out byte[] value)
    {
        value = args.TryGetValue(key, out var v) ? v as byte[] ?? [] : [];
        return v is byte[];
    }

    private static bool OptionalBool(Dictionary<string, object?> args, string key, out bool value)
    {
        value = false;
        if (!args.TryGetValue(key, out var v))
        {
            return true;
        }
        if (v is bool b)
        {
            value = b;
            return true;
        }
        return false;
    }

    private static bool TryHeaders(Dictionary<string, object?> args, out HeaderList headers)
    {
        headers = new HeaderList();
        if (!args.TryGetValue("headers", out var v) || v is not List<object?> list)
        {
            return false;
        }
        foreach (var item in list)
        {
            if (item is not List<object?> { Count: 2 } pair || pair[0] is not byte[] name || pair[1] is not byte[] value)
            {
                return false;
            }
            headers.Add(Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value));
        }
        return true;
    }
}
