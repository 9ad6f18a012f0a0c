using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zrpc;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// inspect (internals.md §4.3): the handler is asked about each request before it is proxied.
/// A handler that is down or slow never blocks traffic: a failed call proxies at once, and after
/// a failure requests stop waiting while one probe call at most every second checks for its
/// return (upstream's ZrpcChecker). While the handler is unavailable a request costs nothing
/// here: the call's arguments are built only when a call is made.
/// </summary>
public sealed partial class ProxyEngine
{
    private static readonly TimeSpan InspectProbeInterval = TimeSpan.FromSeconds(1);
    private ZrpcClient? _inspect;
    private bool _inspectAvailable = true;
    private bool _inspectProbing;
    private DateTimeOffset _inspectNextProbe;

    /// <summary>Number of inspect calls made (for tests: probing must stay cheap).</summary>
    internal long InspectCalls { get; private set; }

    /// <summary>Whether requests currently wait for inspect (for tests; read from another thread).</summary>
    internal bool InspectAvailable => Volatile.Read(ref _inspectAvailable);

    private void StartInspect(ProxySession s)
    {
        if (_inspectAvailable)
        {
            s.State = SessionState.Inspecting;
            CallInspect(s, wait: true);
            return;
        }
        var now = _time.GetUtcNow();
        if (!_inspectProbing && now >= _inspectNextProbe)
        {
            // The handler failed lately: this call only probes, the request does not wait.
            _inspectProbing = true;
            _inspectNextProbe = now + InspectProbeInterval;
            CallInspect(s, wait: false);
        }
        StartForwarding(s);
    }

    private void CallInspect(ProxySession s, bool wait)
    {
        InspectCalls++;
        var headers = new List<object?>(s.OrigHeaders.Count);
        foreach (var h in s.OrigHeaders)
        {
            headers.Add(new List<object?> { Encoding.Latin1.GetBytes(h.Name), Encoding.Latin1.GetBytes(h.Value) });
        }
        var args = new Dictionary<string, object?>
        {
            ["method"] = Encoding.Latin1.GetBytes(s.Method),
            ["uri"] = s.OrigUri.ToString(),
            ["headers"] = headers,
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
        _ = CallInspectAsync(_inspect!, args, wait ? s : null);
    }

    // The synchronous part (encode, enqueue) runs on the loop; the answer comes back as an event.
    private async Task CallInspectAsync(ZrpcClient client, Dictionary<string, object?> args, ProxySession? waiting)
    {
        ZrpcResponse response;
        try
        {
            response = await client.CallAsync("inspect", args, _options.InspectTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            response = ZrpcResponse.Fail(null, "service-unavailable", e.Message);
        }
        _events.Writer.TryWrite(new InspectDone(waiting, response));
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
        if (!ok)
        {
            _inspectNextProbe = _time.GetUtcNow() + InspectProbeInterval;
        }
        if (s is null || !IsWaitingForInspect(s))
        {
            return;
        }
        if (ok)
        {
            var result = InspectResult.FromDictionary((Dictionary<string, object?>)response.Value!);
            if (result.NoProxy)
            {
                s.Inspect = result;
                StartNoProxy(s);
                return;
            }
            s.Inspect = result;
            if (TryJoinShared(s, result.SharingKey))
            {
                return;
            }
        }
        StartForwarding(s);
    }

    /// <summary>
    /// inspect's <c>no-proxy</c> (upstream's ReceivingForAccept): no backend; once the whole body
    /// is in (at most 100000 bytes, else 413), the session is handed to the handler with the
    /// client's own request and no response, and the handler answers it (e.g. from its cache).
    /// </summary>
    private void StartNoProxy(ProxySession s)
    {
        s.NoProxy = true;
        s.Uri = s.OrigUri;
        s.Headers = [.. s.OrigHeaders];
        s.PendingRequestBody.Clear();
        s.State = SessionState.WaitingForRequestEnd;
        CheckNoProxyBody(s);
    }

    /// <summary>Hands over a complete no-proxy request, or refuses one too large to hand over.</summary>
    private void CheckNoProxyBody(ProxySession s)
    {
        if (s.RequestBodyTooLarge)
        {
            var text = "Body must not exceed " + GripDetection.MaxAcceptRequestBody.ToString(CultureInfo.InvariantCulture) + " bytes";
            RespondLocal(s, OriginResponse.Error(413, "Request Entity Too Large", text));
            return;
        }
        if (s.RequestFinished)
        {
            StartHandoff(s);
        }
    }

    private bool IsWaitingForInspect(ProxySession s) =>
        _inbound.TryGetValue((s.RequesterId, s.Id), out var live) && ReferenceEquals(live, s) && s.State == SessionState.Inspecting;

    private sealed record InspectDone(ProxySession? Session, ZrpcResponse Response);

    [LoggerMessage(2008, LogLevel.Information, "inspect: handler {State}")]
    private static partial void LogInspectAvailability(ILogger logger, string state);
}
