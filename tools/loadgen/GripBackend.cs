using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Pushpin.LoadGen;

/// <summary>
/// The backend the scenarios proxy to: a plain answer for <c>/hello</c>, GRIP stream holds at
/// <c>/stream/{channel}</c>, response holds at <c>/poll/{channel}</c>, WebSocket-over-HTTP echo at
/// <c>/woh</c>, raw WebSocket echo at <c>/wsraw</c>. Kestrel, so the backend is
/// never the bottleneck. Routes of the server under test point at it.
/// </summary>
public sealed class GripBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GripBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<GripBackend> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxConcurrentConnections = null;
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/hello", () => Results.Text("hello\n", "text/plain"));
        app.MapGet("/stream/{channel}", (HttpContext ctx, string channel) =>
        {
            ctx.Response.Headers["Grip-Hold"] = "stream";
            ctx.Response.Headers["Grip-Channel"] = channel;
            return Results.Text("stream open\n", "text/plain");
        });
        app.MapGet("/poll/{channel}", (HttpContext ctx, string channel) =>
        {
            ctx.Response.Headers["Grip-Hold"] = "response";
            ctx.Response.Headers["Grip-Channel"] = channel;
            ctx.Response.Headers["Grip-Timeout"] = "60";
            return Results.Text("timeout\n", "text/plain");
        });
        // WebSocket-over-HTTP echo: every TEXT event comes back as is (OPEN accepted with GRIP).
        app.MapPost("/woh/{**rest}", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms).ConfigureAwait(false);
            var body = ms.ToArray();
            ctx.Response.ContentType = "application/websocket-events";
            if (body.AsSpan().StartsWith("OPEN\r\n"u8))
            {
                ctx.Response.Headers["Sec-WebSocket-Extensions"] = "grip";
                body = "OPEN\r\n"u8.ToArray();
            }
            await ctx.Response.Body.WriteAsync(body).ConfigureAwait(false);
        });
        // Raw WebSocket echo (the wsraw scenario).
        app.Map("/wsraw/{**rest}", async (HttpContext ctx) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = 400;
                return;
            }
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var r = await ws.ReceiveAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
                    if (r.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                    {
                        await ws.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, ctx.RequestAborted).ConfigureAwait(false);
                        return;
                    }
                    await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ctx.RequestAborted).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException)
            {
                // The client went away.
            }
        });
        await app.StartAsync().ConfigureAwait(false);
        return new GripBackend(app, port);
    }

    /// <summary>Runs until SIGTERM/SIGINT (the host's lifetime handles both) or <paramref name="ct"/>.</summary>
    public Task WaitForShutdownAsync(CancellationToken ct) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
