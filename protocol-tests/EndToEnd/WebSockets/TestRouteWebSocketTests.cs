using System.Net.WebSockets;
using System.Text;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>
/// The built-in <c>test</c> target answers WebSockets as upstream's testwebsocket: <c>/ws</c>
/// echoes and subscribes the connection to its <c>channel</c> parameters (default <c>test</c>),
/// other paths are refused with 404.
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class TestRouteWebSocketTests
{
    private PushpinCluster _pushpin = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _pushpin = await PushpinCluster.StartAsync(["* test", "*,path_beg=/sub/ test"]);

    [OneTimeTearDown]
    public async Task StopAsync() => await _pushpin.DisposeAsync();

    private Uri WsUri(string pathAndQuery) => new($"ws://127.0.0.1:{_pushpin.HttpPort}{pathAndQuery}");

    [Test]
    public async Task Test_route_ws_echoes_text_and_binary_messages(CancellationToken ct)
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(WsUri("/ws"), ct);
        await WsClients.SendTextAsync(ws, "hello test route", ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("hello test route"), "echoed with the m: prefix stripped by GRIP mode");
        await ws.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, ct);
        var (type, data, _) = await WsClients.ReceiveAsync(ws, ct);
        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(data, Is.EqualTo(new byte[] { 1, 2, 3 }));
        });
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        Assert.Multiple(() =>
        {
            Assert.That(ws.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure), "the close is echoed");
            Assert.That(ws.CloseStatusDescription, Is.EqualTo("bye"));
        });
    }

    [Test]
    public async Task Test_route_ws_subscribes_to_the_test_channel_by_default(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var ws = await WsClients.ConnectSubscribedAsync(http, _pushpin, WsUri("/ws/"), "test", ct);
        await WsClients.PublishAsync(http, _pushpin, new { channel = "test", formats = new Dictionary<string, object> { ["ws-message"] = new { content = "published to test" } } }, ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("published to test"));
    }

    [Test]
    public async Task Test_route_ws_subscribes_to_every_channel_parameter(CancellationToken ct)
    {
        using var http = new HttpClient();
        using var ws = await WsClients.ConnectSubscribedAsync(http, _pushpin, WsUri("/ws?channel=room-a&channel=room-b"), "room-a", ct);
        await WsClients.WaitSubscribedAsync(http, _pushpin, [ws], "room-b", ct);
        await WsClients.PublishAsync(http, _pushpin, new { channel = "room-b", formats = new Dictionary<string, object> { ["ws-message"] = new { content = "to b" } } }, ct);
        await WsClients.PublishAsync(http, _pushpin, new { channel = "room-a", formats = new Dictionary<string, object> { ["ws-message"] = new { content = "to a" } } }, ct);
        // Separate channels carry no order between them.
        var got = new[] { await WsClients.ReceiveTextAsync(ws, ct), await WsClients.ReceiveTextAsync(ws, ct) };
        Assert.That(got, Is.EquivalentTo(new[] { "to a", "to b" }));
    }

    [Test]
    public async Task Test_route_ws_sees_the_path_relative_to_path_beg(CancellationToken ct)
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(WsUri("/sub/ws"), ct);
        await WsClients.SendTextAsync(ws, "under path_beg", ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("under path_beg"));
    }

    [Test]
    public async Task Test_route_ws_other_paths_get_404_no_such_test_resource()
    {
        var response = await RawHttp.ExchangeAsync(_pushpin.HttpPort,
            "GET /nope HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(response, Does.StartWith("HTTP/1.1 404 Not Found\r\n"));
            Assert.That(response, Does.Contain("Content-Type: text/plain\r\n"));
            Assert.That(response, Does.EndWith("\r\n\r\nno such test resource\n"));
        });
    }

    [Test]
    public async Task Test_route_ws_without_grip_echoes_without_subscribing(CancellationToken ct)
    {
        // A no_grip route offers the backend no GRIP: plain echo, no prefix.
        await using var plain = await PushpinCluster.StartAsync(["*,no_grip test"]);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{plain.HttpPort}/ws"), ct);
        await WsClients.SendTextAsync(ws, "m:kept as sent", ct);
        var (_, data, _) = await WsClients.ReceiveAsync(ws, ct);
        Assert.That(Encoding.UTF8.GetString(data), Is.EqualTo("m:kept as sent"), "no prefix handling without GRIP");
    }
}
