using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;
using Pushpin.Proxy.WebSockets;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>
/// A WebSocket-over-HTTP backend on ASP.NET Core using our event codec: accepts with GRIP
/// (prefix <c>m:</c>), subscribes to the channel named in the path, echoes, and obeys a few
/// commands (<c>close-me</c>, <c>detach</c>, <c>disconnect-me</c>). <c>/plain/…</c> is the
/// same without GRIP; <c>/reject</c> answers 403.
/// </summary>
internal sealed class WohEchoBackend : IAsyncDisposable
{
    private readonly TestBackend _backend;

    private WohEchoBackend(TestBackend backend)
    {
        _backend = backend;
    }

    public string Target => _backend.Target;

    public int Port => _backend.Port;

    /// <summary>Every request body received, decoded to "TYPE content" lines, with its Connection-Id.</summary>
    public ConcurrentQueue<(string Cid, string Event)> Events { get; } = new();

    public static Task<WohEchoBackend> StartAsync(int port = 0) => StartCoreAsync(port);

    private static async Task<WohEchoBackend> StartCoreAsync(int port)
    {
        WohEchoBackend? self = null;
        var backend = await TestBackend.StartAsync(app =>
        {
            app.MapPost("/reject", () => Results.Text("go away\n", "text/plain", statusCode: 403));
            app.MapPost("/{**path}", async (HttpContext ctx, string path) => await self!.HandleAsync(ctx, path));
        }, port);
        self = new WohEchoBackend(backend);
        return self;
    }

    private async Task HandleAsync(HttpContext ctx, string path)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms);
        var cid = ctx.Request.Headers["Connection-Id"].ToString();
        if (!WebSocketEventCodec.TryDecodeAll(ms.ToArray(), out var events, out var error))
        {
            ctx.Response.StatusCode = 400;
            await ctx.Response.WriteAsync(error ?? "bad events");
            return;
        }
        var grip = !path.StartsWith("plain", StringComparison.Ordinal);
        var prefix = grip ? "m:" : string.Empty;
        var output = new ArrayBufferWriter<byte>();
        foreach (var e in events)
        {
            var content = e.HasContent ? e.ContentToArray() : [];
            Events.Enqueue((cid, e.Name + (content.Length > 0 ? " " + Encoding.UTF8.GetString(content) : string.Empty)));
            switch (e.Type)
            {
                case WebSocketEventType.Open:
                    WebSocketEventCodec.Write(output, WebSocketEventType.Open);
                    if (grip)
                    {
                        ctx.Response.Headers["Sec-WebSocket-Extensions"] = "grip";
                        var channel = path.Length > 0 ? path : "room";
                        WebSocketEventCodec.Write(output, WebSocketEventType.Text, Encoding.UTF8.GetBytes("c:{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}"));
                    }
                    break;
                case WebSocketEventType.Text:
                case WebSocketEventType.Binary:
                    var text = e.Type == WebSocketEventType.Text ? Encoding.UTF8.GetString(content) : null;
                    if (text == "close-me")
                    {
                        WebSocketEventCodec.WriteClose(output, 4001, "bye");
                    }
                    else if (text == "detach")
                    {
                        WebSocketEventCodec.Write(output, WebSocketEventType.Text, "c:{\"type\":\"detach\"}"u8);
                    }
                    else if (text == "disconnect-me")
                    {
                        WebSocketEventCodec.Write(output, WebSocketEventType.Disconnect);
                    }
                    else if (text == "unprefixed")
                    {
                        WebSocketEventCodec.Write(output, WebSocketEventType.Text, "no prefix, dropped"u8);
                    }
                    else
                    {
                        var echo = new byte[prefix.Length + (text is null ? 0 : 5) + content.Length];
                        Encoding.ASCII.GetBytes(prefix, echo);
                        if (text is not null)
                        {
                            "echo:"u8.CopyTo(echo.AsSpan(prefix.Length));
                        }
                        content.CopyTo(echo.AsSpan(echo.Length - content.Length));
                        WebSocketEventCodec.Write(output, e.Type, echo);
                    }
                    break;
                case WebSocketEventType.Ping:
                    WebSocketEventCodec.WriteMessage(output, WebSocketEventType.Pong, content);
                    break;
                case WebSocketEventType.Close:
                    WebSocketEventCodec.Write(output, WebSocketEventType.Close, content);
                    break;
            }
        }
        ctx.Response.ContentType = WebSocketEventCodec.ContentType;
        await ctx.Response.Body.WriteAsync(output.WrittenMemory);
    }

    /// <summary>Waits until an event line starting with <paramref name="prefix"/> arrived.</summary>
    public Task WaitForEventAsync(string prefix, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => Events.Any(e => e.Event.StartsWith(prefix, StringComparison.Ordinal)), "backend event " + prefix, timeout);

    public ValueTask DisposeAsync() => _backend.DisposeAsync();
}
