using System.Net;
using System.Net.WebSockets;
using System.Text;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>
/// WebSocket-over-HTTP and GRIP control end to end: real pushpin-runner, .NET ClientWebSocket
/// clients, an ASP.NET Core backend speaking <c>application/websocket-events</c>, publishes
/// through the HTTP publish API.
/// </summary>
[NonParallelizable]
[CancelAfter(180_000)]
public sealed class WebSocketOverHttpTests
{
    private WohEchoBackend _backend = null!;
    private PushpinCluster _pushpin = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _backend = await WohEchoBackend.StartAsync();
        _pushpin = await PushpinCluster.StartAsync([$"* {_backend.Target},over_http"]);
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    [TearDown]
    public void ShowLogOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(string.Join('\n', _pushpin.Runner.Lines.TakeLast(80)));
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http?.Dispose();
        if (_pushpin is not null)
        {
            await _pushpin.DisposeAsync();
        }
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    private Uri WsUri(string path) => new($"ws://127.0.0.1:{_pushpin.HttpPort}/{path}");

    private async Task<ClientWebSocket> ConnectAsync(string path, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(WsUri(path), ct);
        return ws;
    }

    private Task PublishAsync(object item, CancellationToken ct) => WsClients.PublishAsync(_http, _pushpin, item, ct);

    private Task<ClientWebSocket> ConnectSubscribedAsync(string channel, CancellationToken ct) =>
        WsClients.ConnectSubscribedAsync(_http, _pushpin, WsUri(channel), channel, ct);

    private static Task<(WebSocketMessageType Type, byte[] Data, WebSocketReceiveResult Last)> ReceiveAsync(WebSocket ws, CancellationToken ct) => WsClients.ReceiveAsync(ws, ct);

    private static Task<string> ReceiveTextAsync(WebSocket ws, CancellationToken ct) => WsClients.ReceiveTextAsync(ws, ct);

    private static Task SendTextAsync(WebSocket ws, string text, CancellationToken ct) => WsClients.SendTextAsync(ws, text, ct);

    private const string Probe = WsClients.Probe;

    [Test]
    public async Task Echo_goes_through_the_backend_with_the_grip_prefix_stripped(CancellationToken ct)
    {
        using var ws = await ConnectAsync("room-echo", ct);
        await SendTextAsync(ws, "hello", ct);
        Assert.That(await ReceiveTextAsync(ws, ct), Is.EqualTo("echo:hello"));
        await ws.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, ct);
        var (type, data, _) = await ReceiveAsync(ws, ct);
        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(data, Is.EqualTo(new byte[] { 1, 2, 3 }));
        });
        var open = _backend.Events.First(e => e.Event == "OPEN");
        Assert.That(Guid.TryParse(open.Cid, out _), Is.True, "Connection-Id is a uuid: " + open.Cid);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
    }

    [Test]
    public async Task Unprefixed_backend_messages_are_dropped_in_grip_mode(CancellationToken ct)
    {
        using var ws = await ConnectAsync("room-drop", ct);
        await SendTextAsync(ws, "unprefixed", ct);
        await SendTextAsync(ws, "after", ct);
        Assert.That(await ReceiveTextAsync(ws, ct), Is.EqualTo("echo:after"));
    }

    [Test]
    public async Task Published_ws_messages_reach_the_subscribed_client(CancellationToken ct)
    {
        using var ws = await ConnectSubscribedAsync("room-pub", ct);
        await PublishAsync(new { channel = "room-pub", formats = new Dictionary<string, object> { ["ws-message"] = new { content = "published text" } } }, ct);
        Assert.That(await ReceiveTextAsync(ws, ct), Is.EqualTo("published text"));
        await PublishAsync(new { channel = "room-pub", formats = new Dictionary<string, object> { ["ws-message"] = new Dictionary<string, object> { ["content-bin"] = Convert.ToBase64String([9, 8, 7]) } } }, ct);
        var (type, data, _) = await ReceiveAsync(ws, ct);
        while (type == WebSocketMessageType.Text && Encoding.UTF8.GetString(data) == Probe)
        {
            (type, data, _) = await ReceiveAsync(ws, ct);
        }
        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(data, Is.EqualTo(new byte[] { 9, 8, 7 }));
        });
    }

    [Test]
    public async Task Published_close_closes_the_client_with_code_and_reason(CancellationToken ct)
    {
        using var ws = await ConnectSubscribedAsync("room-close", ct);
        await PublishAsync(new { channel = "room-close", formats = new Dictionary<string, object> { ["ws-message"] = new { action = "close", code = 4003, reason = "kicked" } } }, ct);
        var (type, data, last) = await ReceiveAsync(ws, ct);
        while (type == WebSocketMessageType.Text && Encoding.UTF8.GetString(data) == Probe)
        {
            (type, data, last) = await ReceiveAsync(ws, ct);
        }
        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Close));
            Assert.That((int?)last.CloseStatus, Is.EqualTo(4003));
            Assert.That(last.CloseStatusDescription, Is.EqualTo("kicked"));
        });
    }

    [Test]
    public async Task Client_close_reaches_the_backend_and_is_answered(CancellationToken ct)
    {
        using var ws = await ConnectAsync("room-cc", ct);
        await ws.CloseAsync((WebSocketCloseStatus)4100, "client bye", ct);
        Assert.Multiple(() =>
        {
            Assert.That(ws.State, Is.EqualTo(WebSocketState.Closed));
            Assert.That((int?)ws.CloseStatus, Is.EqualTo(4100));
        });
        await _backend.WaitForEventAsync("CLOSE \u0010\u0004client bye");
    }

    [Test]
    public async Task Backend_close_reaches_the_client_with_its_code(CancellationToken ct)
    {
        using var ws = await ConnectAsync("room-bc", ct);
        await SendTextAsync(ws, "close-me", ct);
        var (type, _, last) = await ReceiveAsync(ws, ct);
        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Close));
            Assert.That((int?)last.CloseStatus, Is.EqualTo(4001));
            Assert.That(last.CloseStatusDescription, Is.EqualTo("bye"));
        });
        await ws.CloseOutputAsync((WebSocketCloseStatus)4001, "bye", ct);
    }

    [Test]
    public async Task Backend_rejection_is_relayed_as_an_http_response(CancellationToken ct)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(WsUri("reject"), ct));
        Assert.That(ws.HttpStatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Large_and_fragmented_client_messages_arrive_whole(CancellationToken ct)
    {
        using var ws = await ConnectAsync("plain/large", ct);
        var big = new byte[900_000];
        new Random(7).NextBytes(big);
        await ws.SendAsync(big, WebSocketMessageType.Binary, true, ct);
        var (type, data, _) = await ReceiveAsync(ws, ct);
        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(data, Is.EqualTo(big));
        });
        await ws.SendAsync("frag"u8.ToArray(), WebSocketMessageType.Text, false, ct);
        await ws.SendAsync("ment"u8.ToArray(), WebSocketMessageType.Text, false, ct);
        await ws.SendAsync("ed"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        Assert.That(await ReceiveTextAsync(ws, ct), Is.EqualTo("echo:fragmented"));
        await _backend.WaitForEventAsync("TEXT fragmented");
    }

    [Test]
    public async Task Broadcast_reaches_100_clients(CancellationToken ct)
    {
        var clients = new List<ClientWebSocket>();
        try
        {
            clients.AddRange(await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => ConnectAsync("room-fanout", ct))));
            await WsClients.WaitSubscribedAsync(_http, _pushpin, clients, "room-fanout", ct);
            await PublishAsync(new { channel = "room-fanout", formats = new Dictionary<string, object> { ["ws-message"] = new { content = "to everyone" } } }, ct);
            var received = await Task.WhenAll(clients.Select(c => ReceiveTextAsync(c, ct)));
            Assert.That(received, Is.All.EqualTo("to everyone"));
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    [Test]
    public async Task Detach_keeps_the_client_for_publishes(CancellationToken ct)
    {
        using var ws = await ConnectSubscribedAsync("room-detach", ct);
        var closesBefore = _backend.Events.Count(e => e.Event == "CLOSE");
        await SendTextAsync(ws, "detach", ct);
        // Detach sends a bare CLOSE (no code) to the backend.
        await Eventually.TrueAsync(() => _backend.Events.Count(e => e.Event == "CLOSE") > closesBefore, "bare CLOSE after detach");
        await PublishAsync(new { channel = "room-detach", formats = new Dictionary<string, object> { ["ws-message"] = new { content = "still here" } } }, ct);
        Assert.That(await ReceiveTextAsync(ws, ct), Is.EqualTo("still here"));
    }
}
