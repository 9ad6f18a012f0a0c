using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>
/// WebSocket GRIP details as upstream: subscribe filters applied to <c>ws-message</c> deliveries
/// (skip-self, skip-users, require-sub, var-subst with content-filters), unqueued sends dropped
/// for a client that cannot take them, and the 8 s ack timeout of ws-control requests.
/// </summary>
/// <remarks>
/// The backend is WebSocket-over-HTTP: <c>/{user}/{channel}/{filters}</c> answers OPEN with
/// set-meta user and a subscribe to the channel with the comma-separated filters (<c>-</c>: none).
/// </remarks>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class WsGripFiltersTests
{
    private TestBackend _backend = null!;
    private PushpinCluster _pushpin = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _backend = await TestBackend.StartAsync(app => app.MapPost("/{user}/{channel}/{filters}", async (HttpContext ctx, string user, string channel, string filters) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var events = await reader.ReadToEndAsync();
            ctx.Response.ContentType = "application/websocket-events";
            if (!events.StartsWith("OPEN", StringComparison.Ordinal))
            {
                return;
            }
            ctx.Response.Headers["Sec-WebSocket-Extensions"] = "grip";
            var sb = new StringBuilder("OPEN\r\n");
            Text(sb, "c:" + JsonSerializer.Serialize(new { type = "set-meta", name = "user", value = user }));
            var list = filters == "-" ? [] : filters.Split(',');
            Text(sb, "c:" + JsonSerializer.Serialize(new { type = "subscribe", channel, filters = list }));
            await ctx.Response.WriteAsync(sb.ToString());
        }));
        _pushpin = await PushpinCluster.StartAsync([$"* {_backend.Target},over_http"]);
    }

    private static void Text(StringBuilder sb, string content) =>
        sb.Append("TEXT ").Append(Encoding.UTF8.GetByteCount(content).ToString("x", CultureInfo.InvariantCulture)).Append("\r\n").Append(content).Append("\r\n");

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _pushpin.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private Uri WsUri(string path) => new($"ws://127.0.0.1:{_pushpin.HttpPort}/{path}");

    private Task PublishAsync(HttpClient http, string channel, object format, object? meta, CancellationToken ct) =>
        WsClients.PublishAsync(http, _pushpin, meta is null
            ? new { channel, formats = new Dictionary<string, object> { ["ws-message"] = format } }
            : new { channel, meta, formats = new Dictionary<string, object> { ["ws-message"] = format } }, ct);

    [Test]
    public async Task Skip_self_drops_the_publishers_own_message(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var ws = await WsClients.ConnectSubscribedAsync(http, _pushpin, WsUri("alice/self-room/skip-self"), "self-room", ct);
        await PublishAsync(http, "self-room", new { content = "from alice" }, new { sender = "alice" }, ct);
        await PublishAsync(http, "self-room", new { content = "from bob" }, new { sender = "bob" }, ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("from bob"));
    }

    [Test]
    public async Task Skip_users_drops_messages_for_listed_users(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var ws = await WsClients.ConnectSubscribedAsync(http, _pushpin, WsUri("alice/users-room/skip-users"), "users-room", ct);
        await PublishAsync(http, "users-room", new { content = "not for alice" }, new { skip_users = "carol, alice" }, ct);
        await PublishAsync(http, "users-room", new { content = "for everyone" }, new { skip_users = "carol" }, ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("for everyone"));
    }

    [Test]
    public async Task Require_sub_drops_messages_for_connections_without_that_subscription(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var ws = await WsClients.ConnectSubscribedAsync(http, _pushpin, WsUri("alice/req-room/require-sub"), "req-room", ct);
        await PublishAsync(http, "req-room", new { content = "needs other" }, new { require_sub = "other-room" }, ct);
        await PublishAsync(http, "req-room", new { content = "needs req-room" }, new { require_sub = "req-room" }, ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("needs req-room"));
    }

    [Test]
    public async Task Var_subst_rewrites_content_and_content_filters_must_match(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var ws = await WsClients.ConnectSubscribedAsync(http, _pushpin, WsUri("alice/var-room/var-subst"), "var-room", ct);
        await PublishAsync(http, "var-room", new Dictionary<string, object> { ["content"] = "mismatch", ["content-filters"] = Array.Empty<string>() }, null, ct);
        await PublishAsync(http, "var-room", new Dictionary<string, object> { ["content"] = "hi %(user)s", ["content-filters"] = new[] { "var-subst" } }, null, ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("hi alice"), "the content-filters mismatch is dropped, the match is substituted");
    }

    [Test]
    public async Task Unqueued_publishes_to_a_client_that_stops_reading_are_dropped_not_buffered(CancellationToken ct)
    {
        using var http = new HttpClient();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 32 * 1024 };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(WsUri("alice/busy-room/-"), new HttpMessageInvoker(handler), ct);
        await WsClients.WaitSubscribedAsync(http, _pushpin, [ws], "busy-room", ct);
        // 200 × 64 KiB while the client reads nothing: far more than the socket buffers and
        // connmgr's credits; once those are full the proxy drops (publishes are queue: false).
        var chunk = new string('x', 64 * 1024);
        const int Count = 200;
        for (var i = 0; i < Count; i++)
        {
            await PublishAsync(http, "busy-room", new { content = i.ToString("d3", CultureInfo.InvariantCulture) + chunk }, null, ct);
        }
        await PublishAsync(http, "busy-room", new { content = "end" }, null, ct);
        var received = 0;
        var sawEnd = false;
        using var http2 = new HttpClient();
        var endProbe = Task.Run(async () =>
        {
            // "end" itself may be dropped: repeat it until the client has seen one.
            while (!Volatile.Read(ref sawEnd) && !ct.IsCancellationRequested)
            {
                await Task.Delay(500, ct);
                await PublishAsync(http2, "busy-room", new { content = "end" }, null, ct);
            }
        }, ct);
        while (true)
        {
            var text = await WsClients.ReceiveTextAsync(ws, ct);
            if (text == "end")
            {
                Volatile.Write(ref sawEnd, true);
                break;
            }
            received++;
        }
        await endProbe;
        TestContext.Out.WriteLine($"received {received} of {Count}");
        Assert.That(received, Is.InRange(1, Count - 1), "some got through, the rest were dropped while the client was full");
    }

    [Test]
    public async Task Control_requests_the_handler_never_acks_end_the_connection_after_8_s(CancellationToken ct)
    {
        await using var pushpin = await PushpinCluster.StartAsync([$"* {_backend.Target},over_http"]);
        var handlerPid = ProcessTree.Children(pushpin.Runner.Pid, "pushpin-handler").Single();
        using var ws = new ClientWebSocket();
        Signal("STOP", handlerPid);
        try
        {
            var started = Stopwatch.StartNew();
            await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{pushpin.HttpPort}/alice/ack-room/-"), ct);
            var ended = false;
            try
            {
                var (type, _, _) = await WsClients.ReceiveAsync(ws, ct, TimeSpan.FromSeconds(30));
                ended = type == WebSocketMessageType.Close;
            }
            catch (WebSocketException)
            {
                // Cancelled: the connection is dropped without a close frame.
                ended = true;
            }
            Assert.Multiple(() =>
            {
                Assert.That(ended, Is.True, "the connection ends");
                Assert.That(started.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(7)).And.LessThan(TimeSpan.FromSeconds(20)), "after the 8 s request timeout");
            });
        }
        finally
        {
            Signal("CONT", handlerPid);
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }
}
