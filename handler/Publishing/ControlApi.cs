using Pushpin.Handler.Http;
using Pushpin.Handler.Variants;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// The routes of the HTTP control API (<c>/</c>, <c>/publish</c>, <c>/recover</c>), with
/// upstream's statuses and bodies. Items are handed on only after the reply is written.
/// </summary>
internal sealed class ControlApi
{
    private readonly Func<IReadOnlyList<PublishItem>, Task> _publish;
    private readonly Action _recover;

    public ControlApi(Func<IReadOnlyList<PublishItem>, Task> publish, Action recover)
    {
        _publish = publish;
        _recover = recover;
    }

    public ControlHttpResponse Handle(ControlHttpRequest req)
    {
        // Exact match after removing one trailing slash.
        var path = req.Uri;
        if (path.Length > 1 && path[^1] == '/')
        {
            path = path[..^1];
        }

        string contentType;
        if (req.Headers.Contains("Accept"))
        {
            contentType = string.Empty;
            foreach (var p in req.Headers.GetAllAsParameters("Accept"))
            {
                if (p.IsEmpty || p[0].Name.Length == 0)
                {
                    continue;
                }
                var type = p[0].Name;
                if (type is "text/plain" or "text/*" or "*/*" or "*")
                {
                    contentType = "text/plain";
                }
                else if (type is "application/json" or "application/*")
                {
                    contentType = "application/json";
                }
            }
            if (contentType.Length == 0)
            {
                return new ControlHttpResponse(406, "Not Acceptable", "Not Acceptable. Supported formats are text/plain and application/json.\n");
            }
        }
        else
        {
            contentType = "text/plain";
        }

        switch (path)
        {
            case "/":
                return new ControlHttpResponse(200, "OK", "Pushpin API\n");
            case "/publish":
                return req.Method == "POST" ? Publish(req, contentType) : MethodNotAllowed(req.Method);
            case "/recover":
                if (req.Method != "POST")
                {
                    return MethodNotAllowed(req.Method);
                }
                return new ControlHttpResponse(200, "OK", Message("Updated", contentType), contentType) { After = () => { _recover(); return Task.CompletedTask; } };
            default:
                return new ControlHttpResponse(404, "Not Found", "Not Found\n");
        }
    }

    private ControlHttpResponse Publish(ControlHttpRequest req, string contentType)
    {
        if (!JsonVariant.TryParse(req.Body, out var doc))
        {
            return BadRequest("Body is not valid JSON.\n");
        }
        if (doc is not JsonMap map)
        {
            return BadRequest("Invalid format.\n");
        }
        if (!map.TryGetValue("items", out var vitems))
        {
            return BadRequest("Invalid format: object does not contain 'items'\n");
        }
        if (vitems is not List<object?> list)
        {
            return BadRequest("Invalid format: object contains 'items' with wrong type\n");
        }
        if (!PublishItemParser.TryParseItems(list, out var items, out var error))
        {
            return BadRequest($"Invalid format: {error}\n");
        }
        return new ControlHttpResponse(200, "OK", Message("Published", contentType), contentType) { After = () => _publish(items) };
    }

    private static string Message(string message, string contentType) =>
        contentType == "application/json" ? $"{{\"message\":\"{message}\"}}\n" : message + "\n";

    private static ControlHttpResponse BadRequest(string body) => new(400, "Bad Request", body);

    private static ControlHttpResponse MethodNotAllowed(string method) =>
        new(405, "Method Not Allowed", $"Method not allowed: {method}.\n", headers: new HeaderList { { "Allow", "POST" } });
}
