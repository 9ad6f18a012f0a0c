using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zrpc;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// inspect (internals.md §4.3): the handler is asked about each request before it is proxied.
/// A handler that is down or slow never blocks traffic: a failed call proxies at once, and after
/// a failure requests stop waiting (one probe call at a time checks for recovery), as upstream's
/// ZrpcChecker does.
/// </summary>
public sealed partial class ProxyEngine
{
    private ZrpcClient? _inspect;
    private bool _inspectAvailable = true;
    private bool _inspectProbing;

    private void StartInspect(ProxySession s)
    {
        var args = new Dictionary<string, object?>
        {
            ["method"] = Encoding.Latin1.GetBytes(s.Method),
            ["uri"] = s.OrigUri.ToString(),
            ["headers"] = s.OrigHeaders.Select(h => (object?)new List<object?> { Encoding.Latin1.GetBytes(h.Name), Encoding.Latin1.GetBytes(h.Value) }).ToList(),
            ["body"] = s.RequestBodyCopy.ToArray(),
        };
        if (!s.RequestFinished)
        {
            args["truncated"] = true;
        }
        if (s.Route.Session)
        {
            args["get-session"] = true;
        }
        if (s.AutoShare)
        {
            args["auto-share"] = true;
        }
        var wait = _inspectAvailable;
        if (!wait && _inspectProbing)
        {
            StartForwarding(s);
            return;
        }
        if (wait)
        {
            s.State = SessionState.Inspecting;
        }
        else
        {
            _inspectProbing = true;
        }
        var client = _inspect!;
        var timeout = _options.InspectTimeout;
        _ = Task.Run(async () =>
        {
            ZrpcResponse response;
            try
            {
                response = await client.CallAsync("inspect", args, timeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                response = ZrpcResponse.Fail(null, "service-unavailable", e.Message);
            }
            _events.Writer.TryWrite(new InspectDone(wait ? s : null, response));
        });
        if (!wait)
        {
            // The handler failed lately: this call only probes, the request does not wait.
            StartForwarding(s);
        }
    }

    private void OnInspectDone(ProxySession? s, ZrpcResponse response)
    {
        var ok = response.Success && response.Value is Dictionary<string, object?>;
        if (s is null)
        {
            _inspectProbing = false;
        }
        if (ok != _inspectAvailable)
        {
            LogInspectAvailability(_logger, ok ? "available again" : "unavailable (" + (response.Condition ?? "bad answer") + "); proxying without it");
        }
        _inspectAvailable = ok;
        if (s is null || !IsWaitingForInspect(s))
        {
            return;
        }
        if (ok)
        {
            var result = InspectResult.FromDictionary((Dictionary<string, object?>)response.Value!);
            // Sharing and no-proxy answers (handler-side response caching) are not supported:
            // the request is proxied, as when inspect fails.
            s.Inspect = result with { NoProxy = false, SharingKey = null };
        }
        StartForwarding(s);
    }

    private bool IsWaitingForInspect(ProxySession s) =>
        _inbound.TryGetValue((s.RequesterId, s.Id), out var live) && ReferenceEquals(live, s) && s.State == SessionState.Inspecting;

    private sealed record InspectDone(ProxySession? Session, ZrpcResponse Response);

    [LoggerMessage(2008, LogLevel.Information, "inspect: handler {State}")]
    private static partial void LogInspectAvailability(ILogger logger, string state);
}
