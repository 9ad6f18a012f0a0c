using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.Proxy.WebSockets;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Proxy.WebSockets;

/// <summary>
/// Differential: Debian's Pushpin 1.36 speaks WebSocket-over-HTTP to a backend that uses our
/// codec; what Pushpin sends must decode with our codec and re-encode to the same bytes.
/// </summary>
public sealed class WebSocketOverHttpUpstreamTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task Upstream_woh_requests_decode_and_re_encode_byte_for_byte(CancellationToken ct)
    {
        if (!UpstreamPushpin.IsInstalled)
        {
            Assert.Ignore("Debian pushpin is not installed");
        }

        var bodies = new List<byte[]>();
        await using var backend = await TestBackend.StartAsync(app => app.MapPost("/ws", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            var body = ms.ToArray();
            lock (bodies)
            {
                bodies.Add(body);
            }

            var output = new ArrayBufferWriter<byte>();
            if (!WebSocketEventCodec.TryDecodeAll(body, out var events, out var error))
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsync(error ?? "bad", ct);
                return;
            }

            foreach (var e in events)
            {
                switch (e.Type)
                {
                    case WebSocketEventType.Open:
                        WebSocketEventCodec.Write(output, WebSocketEventType.Open);
                        break;
                    case WebSocketEventType.Text:
                        WebSocketEventCodec.WriteMessage(output, WebSocketEventType.Text, Encoding.UTF8.GetBytes("m:echo:" + Encoding.UTF8.GetString(e.ContentToArray())));
                        break;
                    case WebSocketEventType.Close:
                        WebSocketEventCodec.WriteClose(output, e.CloseCode, e.CloseReason);
                        break;
                }
            }

            ctx.Response.ContentType = WebSocketEventCodec.ContentType;
            ctx.Response.Headers["Sec-WebSocket-Extensions"] = "grip";
            await ctx.Response.Body.WriteAsync(output.WrittenMemory, ct);
        }));

        await using var upstream = await UpstreamPushpin.StartAsync([$"* {backend.Target},over_http"]);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{upstream.HttpPort}/ws"), ct);
        await ws.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, ct);
        var buffer = new byte[1024];
        var r = await ws.ReceiveAsync(buffer, ct);
        Assert.That(Encoding.UTF8.GetString(buffer, 0, r.Count), Is.EqualTo("echo:hello"));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        Assert.That(ws.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));

        List<byte[]> seen;
        lock (bodies)
        {
            seen = [.. bodies];
        }

        Assert.That(Encoding.ASCII.GetString(seen[0]), Is.EqualTo("OPEN\r\n"));
        Assert.That(Encoding.ASCII.GetString(seen[1]), Is.EqualTo("TEXT 5\r\nhello\r\n"));
        var closeBody = seen.Single(b => Encoding.Latin1.GetString(b).StartsWith("CLOSE", StringComparison.Ordinal));
        foreach (var body in seen)
        {
            Assert.That(WebSocketEventCodec.TryDecodeAll(body, out var events, out var error), Is.True, error);
            var again = new ArrayBufferWriter<byte>();
            foreach (var e in events)
            {
                if (e.Type == WebSocketEventType.Close)
                {
                    WebSocketEventCodec.WriteClose(again, e.CloseCode, e.CloseReason);
                }
                else if (e.HasContent)
                {
                    WebSocketEventCodec.WriteMessage(again, e.Type, e.ContentToArray());
                }
                else
                {
                    WebSocketEventCodec.Write(again, e.Type);
                }
            }

            Assert.That(again.WrittenSpan.ToArray(), Is.EqualTo(body), Encoding.Latin1.GetString(body));
        }

        WebSocketEventCodec.TryDecodeAll(closeBody, out var closeEvents, out _);
        Assert.That((closeEvents.Single().CloseCode, closeEvents.Single().CloseReason), Is.EqualTo(((int?)1000, "done")));
    }
}
