using Microsoft.Extensions.Logging;
using Pushpin.Common.Zrpc;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// The zrpc command socket methods (<c>command_spec</c>): get-zmq-uris, publish, recover,
/// conncheck, refresh; anything else is <c>method-not-found</c>.
/// </summary>
internal sealed partial class CommandHandler
{
    private readonly Dictionary<string, object?> _uris;
    private readonly Action<IReadOnlyList<PublishItem>> _publish;
    private readonly Action _recover;
    private readonly ILogger _logger;

    /// <summary>Answers which of the given connection ids are held here (runs on the engine loop; the callback gets the answer).</summary>
    public Action<IReadOnlyList<string>, Action<IReadOnlyList<string>>>? CheckConnections { get; init; }

    /// <summary>WebSocket connection ids subscribed to a channel (refresh by channel); null = none here.</summary>
    public Func<string, Task<IReadOnlyList<string>>>? ChannelConnections { get; init; }

    /// <summary>zrpc calls to the proxy's command socket (conncheck, refresh); null = no proxy to ask.</summary>
    public Func<string, Dictionary<string, object?>, Task<ZrpcResponse>>? CallProxy { get; init; }

    public CommandHandler(string? commandSpec, string? pushInSpec, string? pushInSubSpec, Action<IReadOnlyList<PublishItem>> publish, Action recover, ILogger logger)
    {
        _uris = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(commandSpec))
        {
            _uris["command"] = commandSpec;
        }
        if (!string.IsNullOrEmpty(pushInSpec))
        {
            _uris["publish-pull"] = pushInSpec;
        }
        if (!string.IsNullOrEmpty(pushInSubSpec))
        {
            _uris["publish-sub"] = pushInSubSpec;
        }
        _publish = publish;
        _recover = recover;
        _logger = logger;
    }

    /// <summary>The <c>refresh</c> method (WebSocket-over-HTTP refresh by <c>cid</c> or <c>channel</c>); null = method-not-found.</summary>
    public Action<ZrpcCall>? Refresh { get; set; }

    public void Handle(ZrpcCall call)
    {
        Log.Command(_logger, call.Request.Method);
        switch (call.Request.Method)
        {
            case "get-zmq-uris":
                call.Ok(_uris);
                break;
            case "recover":
                call.Ok(null);
                _recover();
                break;
            case "publish":
                Publish(call);
                break;
            case "conncheck":
                _ = ConnCheckAsync(call);
                break;
            // WebSocket sessions live here: refresh them through ws-control; without them, ask the proxy.
            case "refresh" when Refresh is not null:
                Refresh(call);
                break;
            case "refresh":
                _ = RefreshAsync(call);
                break;
            default:
                call.Fail("method-not-found");
                break;
        }
    }

    private void Publish(ZrpcCall call)
    {
        var args = call.Request.Args;
        if (args is null || !args.TryGetValue("items", out var vitems))
        {
            call.Fail("bad-request", "Invalid format: object does not contain 'items'"u8.ToArray());
            return;
        }
        if (vitems is not List<object?> list)
        {
            call.Fail("bad-request", "Invalid format: object contains 'items' with wrong type"u8.ToArray());
            return;
        }
        if (!PublishItemParser.TryParseItems(list, out var items, out var error))
        {
            call.Fail("bad-request", System.Text.Encoding.UTF8.GetBytes($"Invalid format: {error}"));
            return;
        }
        call.Ok(null);
        _publish(items);
    }

    // Ids we hold are answered here; the rest are asked of the proxy (it holds the sessions it
    // has not handed over). A failed proxy call fails the whole request, as upstream.
    private async Task ConnCheckAsync(ZrpcCall call)
    {
        if (call.Request.Args?.GetValueOrDefault("ids") is not List<object?> vids)
        {
            call.Fail("bad-request");
            return;
        }
        var cids = new List<string>(vids.Count);
        foreach (var v in vids)
        {
            if (v is not byte[] b)
            {
                call.Fail("bad-request");
                return;
            }
            var cid = System.Text.Encoding.UTF8.GetString(b);
            if (!cids.Contains(cid))
            {
                cids.Add(cid);
            }
        }
        try
        {
            IReadOnlyList<string> local = [];
            if (CheckConnections is not null && cids.Count > 0)
            {
                var done = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
                CheckConnections(cids, done.SetResult);
                local = await done.Task.ConfigureAwait(false);
            }
            var missing = cids.Where(c => !local.Contains(c)).ToList();
            var found = new HashSet<string>(local, StringComparer.Ordinal);
            if (missing.Count > 0 && CallProxy is not null)
            {
                var args = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["ids"] = missing.Select(m => (object?)System.Text.Encoding.UTF8.GetBytes(m)).ToList(),
                };
                var r = await CallProxy("conncheck", args).ConfigureAwait(false);
                if (!r.Success || r.Value is not List<object?> vfound)
                {
                    Log.ProxyFailed(_logger, "conncheck", r.Condition ?? "bad reply");
                    call.Fail("proxy-request-failed");
                    return;
                }
                foreach (var f in vfound)
                {
                    if (f is byte[] fb)
                    {
                        found.Add(System.Text.Encoding.UTF8.GetString(fb));
                    }
                }
            }
            call.Ok(cids.Where(found.Contains).Select(c => (object?)System.Text.Encoding.UTF8.GetBytes(c)).ToList());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ProxyFailed(_logger, "conncheck", ex.Message);
            call.Fail("proxy-request-failed");
        }
    }

    // refresh asks the proxy to re-run WebSocket-over-HTTP requests, one connection at a time;
    // in the channel form per-connection errors are ignored.
    private async Task RefreshAsync(ZrpcCall call)
    {
        var args = call.Request.Args;
        List<string> cids;
        bool ignoreErrors;
        if (args?.GetValueOrDefault("cid") is { } vcid)
        {
            if (vcid is not byte[] b)
            {
                call.Fail("bad-request");
                return;
            }
            cids = [System.Text.Encoding.UTF8.GetString(b)];
            ignoreErrors = false;
        }
        else if (args?.GetValueOrDefault("channel") is { } vchannel)
        {
            if (vchannel is not byte[] b)
            {
                call.Fail("bad-request");
                return;
            }
            var channel = System.Text.Encoding.UTF8.GetString(b);
            cids = ChannelConnections is null ? [] : [.. await ChannelConnections(channel).ConfigureAwait(false)];
            ignoreErrors = true;
        }
        else
        {
            call.Fail("bad-request");
            return;
        }
        foreach (var cid in cids)
        {
            ZrpcResponse r;
            try
            {
                r = CallProxy is null
                    ? ZrpcResponse.Fail(null, "item-not-found")
                    : await CallProxy("refresh", new Dictionary<string, object?>(StringComparer.Ordinal) { ["cid"] = System.Text.Encoding.UTF8.GetBytes(cid) }).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.ProxyFailed(_logger, "refresh", ex.Message);
                r = ZrpcResponse.Fail(null, "proxy-request-failed");
            }
            if (!r.Success && !ignoreErrors)
            {
                call.Fail(r.Condition ?? "proxy-request-failed");
                return;
            }
        }
        call.Ok(null);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "IN command: {Method}")]
        public static partial void Command(ILogger logger, string method);

        [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "command: proxy {Method} failed: {Reason}")]
        public static partial void ProxyFailed(ILogger logger, string method, string reason);
    }
}
