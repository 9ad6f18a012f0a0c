using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>
/// Raw WebSocket proxying end to end: ClientWebSocket → pushpin (connmgr, proxy, connmgr
/// client mode) → an ASP.NET Core WebSocket backend.
/// </summary>
[NonParallelizable]
[CancelAfter(180_000)]
public sealed class RawWebSocketTests
{
    private TestBackend _backend = null!;
    private PushpinCluster _pushpin = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _backend = await TestBackend.StartAsync(app =>
        {
            app.UseWebSockets();
            app.Map("/grip/{channel}", async (HttpContext ctx, string channel) =>
            {
                var offered = ctx.Request.Headers["Sec-WebSocket-Extensions"].ToString();
                if (offered.Contains("grip", StringComparison.Ordinal))
                {
                    ctx.Response.Headers["Sec-WebSocket-Extensions"] = "grip; message-prefix=x:";
                }
                using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
                await ws.SendAsync(Encoding.UTF8.GetBytes("c:{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}"), WebSocketMessageType.Text, true, ctx.RequestAborted);
                await ws.SendAsync("not prefixed: dropped"u8.ToArray(), WebSocketMessageType.Text, true, ctx.RequestAborted);
                await ws.SendAsync("x:welcome"u8.ToArray(), WebSocketMessageType.Text, true, ctx.RequestAborted);
                await EchoAsync(ws, ctx.RequestAborted);
            });
            app.Map("/reject", () => Results.Text("no websockets here\n", "text/plain", statusCode: 404));
            app.Map("/{**path}", async (HttpContext ctx) =>
            {
                if (!ctx.WebSockets.IsWebSocketRequest)
                {
                    ctx.Response.StatusCode = 400;
                    return;
                }
                using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
                await EchoAsync(ws, ctx.RequestAborted);
            });
        });
        _pushpin = await PushpinCluster.StartAsync([$"* {_backend.Target}"]);
    }

    private static async Task EchoAsync(WebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var ms = new MemoryStream();
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, ct);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.Empty, r.CloseStatusDescription, ct);
                    return;
                }
                ms.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage)
                {
                    continue;
                }
                var data = ms.ToArray();
                ms.SetLength(0);
                if (r.MessageType == WebSocketMessageType.Text && Encoding.UTF8.GetString(data) == "close-me")
                {
                    await ws.CloseOutputAsync((WebSocketCloseStatus)4002, "backend says bye", ct);
                    await ws.ReceiveAsync(buffer, ct);
                    return;
                }
                await ws.SendAsync(data, r.MessageType, true, ct);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away.
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_pushpin is not null)
        {
            await _pushpin.DisposeAsync();
        }
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    [TearDown]
    public void ShowLogOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(string.Join('\n', _pushpin.Runner.Lines.TakeLast(80)));
        }
    }

    private Uri WsUri(string path) => new($"ws://127.0.0.1:{_pushpin.HttpPort}/{path}");

    private async Task<ClientWebSocket> ConnectAsync(string path, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(WsUri(path), ct);
        return ws;
    }

    [Test]
    public async Task Text_and_binary_messages_are_echoed_through_the_raw_proxy(CancellationToken ct)
    {
        using var ws = await ConnectAsync("echo", ct);
        await ws.SendAsync("hello raw"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("hello raw"));
        await ws.SendAsync(new byte[] { 0, 1, 2, 255 }, WebSocketMessageType.Binary, true, ct);
        var (type, data, _) = await WsClients.ReceiveAsync(ws, ct);
        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(data, Is.EqualTo(new byte[] { 0, 1, 2, 255 }));
        });
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        Assert.That(ws.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
    }

    [Test]
    public async Task Grip_extension_turns_on_control_messages_prefixes_and_publishing(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(WsUri("grip/rawroom"), ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("welcome"), "the control message and the unprefixed one never reach the client");
        ws.Dispose();
        using var subscribed = await WsClients.ConnectSubscribedAsync(http, _pushpin, WsUri("grip/rawroom"), "rawroom", ct);
        await WsClients.PublishAsync(http, _pushpin, new { channel = "rawroom", formats = new Dictionary<string, object> { ["ws-message"] = new { content = "pushed raw" } } }, ct);
        Assert.That(await WsClients.ReceiveTextAsync(subscribed, ct), Is.EqualTo("pushed raw"));
    }

    [Test]
    public async Task One_MiB_and_fragmented_messages_arrive_whole(CancellationToken ct)
    {
        using var ws = await ConnectAsync("big", ct);
        var big = new byte[1024 * 1024];
        new Random(11).NextBytes(big);
        await ws.SendAsync(big, WebSocketMessageType.Binary, true, ct);
        var (_, data, _) = await WsClients.ReceiveAsync(ws, ct);
        Assert.That(data, Is.EqualTo(big));
        await ws.SendAsync("a"u8.ToArray(), WebSocketMessageType.Text, false, ct);
        await ws.SendAsync("b"u8.ToArray(), WebSocketMessageType.Text, false, ct);
        await ws.SendAsync("c"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("abc"));
    }

    [Test]
    public async Task Client_close_code_and_reason_reach_the_backend_and_come_back(CancellationToken ct)
    {
        using var ws = await ConnectAsync("close", ct);
        await ws.CloseAsync((WebSocketCloseStatus)4321, "client reason", ct);
        Assert.Multiple(() =>
        {
            Assert.That((int?)ws.CloseStatus, Is.EqualTo(4321));
            Assert.That(ws.CloseStatusDescription, Is.EqualTo("client reason"));
        });
    }

    [Test]
    public async Task Backend_close_code_and_reason_reach_the_client(CancellationToken ct)
    {
        using var ws = await ConnectAsync("bclose", ct);
        await ws.SendAsync("close-me"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        var (type, _, last) = await WsClients.ReceiveAsync(ws, ct);
        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Close));
            Assert.That((int?)last.CloseStatus, Is.EqualTo(4002));
            Assert.That(last.CloseStatusDescription, Is.EqualTo("backend says bye"));
        });
        await ws.CloseOutputAsync((WebSocketCloseStatus)4002, "backend says bye", ct);
    }

    [Test]
    public async Task Non_101_backend_answer_reaches_the_client_as_http(CancellationToken ct)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(WsUri("reject"), ct));
        Assert.That(ws.HttpStatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Bad_client_frame_gets_1002_and_pushpin_stays_up(CancellationToken ct)
    {
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, _pushpin.HttpPort, ct);
            var stream = tcp.GetStream();
            var handshake = "GET /bad HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(handshake), ct);
            var head = await ReadUntilAsync(stream, "\r\n\r\n"u8.ToArray(), ct);
            Assert.That(Encoding.ASCII.GetString(head), Does.StartWith("HTTP/1.1 101"));
            // An unmasked text frame from a client is a protocol error (RFC 6455 §5.1).
            await stream.WriteAsync(new byte[] { 0x81, 0x02, (byte)'h', (byte)'i' }, ct);
            var frame = await ReadUntilAsync(stream, null, ct, 4);
            Assert.Multiple(() =>
            {
                Assert.That(frame[0], Is.EqualTo(0x88), "a close frame");
                Assert.That((frame[2] << 8) | frame[3], Is.EqualTo(1002));
            });
        }
        // Still serving.
        using var ws = await ConnectAsync("after-bad", ct);
        await ws.SendAsync("still up"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("still up"));
    }

    private static async Task<byte[]> ReadUntilAsync(NetworkStream stream, byte[]? terminator, CancellationToken ct, int count = 0)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        var result = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            var n = await stream.ReadAsync(one, cts.Token);
            if (n == 0)
            {
                return [.. result];
            }
            result.Add(one[0]);
            if (terminator is not null && result.Count >= terminator.Length && result.TakeLast(terminator.Length).SequenceEqual(terminator))
            {
                return [.. result];
            }
            if (terminator is null && result.Count >= count)
            {
                return [.. result];
            }
        }
    }
}
