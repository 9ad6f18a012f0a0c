using Microsoft.Extensions.Logging;
using Pushpin.Common.Zrpc;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// The zrpc command socket methods (<c>command_spec</c>): get-zmq-uris, publish, recover;
/// anything else is <c>method-not-found</c>.
/// </summary>
internal sealed partial class CommandHandler
{
    private readonly Dictionary<string, object?> _uris;
    private readonly Action<IReadOnlyList<PublishItem>> _publish;
    private readonly Action _recover;
    private readonly ILogger _logger;

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
            case "refresh" when Refresh is not null:
                Refresh(call);
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "IN command: {Method}")]
        public static partial void Command(ILogger logger, string method);
    }
}
