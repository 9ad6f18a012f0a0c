using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.EndToEnd.WebSockets;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Docs;

/// <summary>
/// Runs an <c>http woh-open</c> example: a backend answers a WebSocket-over-HTTP <c>OPEN</c> with
/// exactly the documented response (its literal <c>\r\n</c> turned into CRLF), behind an
/// <c>over_http</c> route; a client must connect and receive what is published to <c>test</c>.
/// </summary>
internal static class WohOpenExample
{
    public static async Task RunAsync(DocBlock block)
    {
        var (code, headers, body) = Parse(block);
        await using var backend = await TestBackend.StartAsync(app => app.MapPost("/{**path}", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var events = await reader.ReadToEndAsync();
            ctx.Response.StatusCode = code;
            if (!events.StartsWith("OPEN", StringComparison.Ordinal))
            {
                // Later requests (client messages, DISCONNECT): nothing to say.
                ctx.Response.ContentType = "application/websocket-events";
                return;
            }
            foreach (var (name, value) in headers)
            {
                ctx.Response.Headers.Append(name, value);
            }
            await ctx.Response.Body.WriteAsync(body);
        }));
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target},over_http"]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var http = new HttpClient();
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{pushpin.HttpPort}/"), cts.Token);
        Assert.That(ws.State, Is.EqualTo(WebSocketState.Open), $"{block}: the client is connected");
        await WsClients.WaitSubscribedAsync(http, pushpin, [ws], "test", cts.Token);
        await WsClients.PublishAsync(http, pushpin, new { channel = "test", formats = new Dictionary<string, object> { ["ws-message"] = new { content = "after open" } } }, cts.Token);
        Assert.That(await WsClients.ReceiveTextAsync(ws, cts.Token), Is.EqualTo("after open"), $"{block}: the OPEN reply subscribed the client to test");
    }

    // Status line, headers, blank line, body lines ending in a literal \r\n.
    internal static (int Code, List<(string Name, string Value)> Headers, byte[] Body) Parse(DocBlock block)
    {
        var lines = block.Body.Split('\n');
        var status = lines[0].Split(' ', 3);
        Assert.That(status[0], Is.EqualTo("HTTP/1.1"), $"{block}: status line");
        var headers = new List<(string, string)>();
        var i = 1;
        for (; i < lines.Length && lines[i].Length > 0; i++)
        {
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            headers.Add((lines[i][..colon].Trim(), lines[i][(colon + 1)..].Trim()));
        }
        var body = string.Concat(lines.Skip(i + 1)).Replace("\\r\\n", "\r\n", StringComparison.Ordinal);
        return (int.Parse(status[1], System.Globalization.CultureInfo.InvariantCulture), headers, Encoding.UTF8.GetBytes(body));
    }
}
