using System.Net.WebSockets;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>
/// WebSocket-over-HTTP keeps the client connected across a backend restart: the backend holds
/// no connection state, and a request that could not reach it is retried (1 s·2ⁿ).
/// </summary>
[NonParallelizable]
[CancelAfter(180_000)]
public sealed class WohBackendRestartTests
{
    [Test]
    public async Task Clients_stay_connected_while_the_backend_restarts(CancellationToken ct)
    {
        var backend = await WohEchoBackend.StartAsync();
        var port = backend.Port;
        await using var pushpin = await PushpinCluster.StartAsync([$"* 127.0.0.1:{port},over_http"]);
        try
        {
            using var ws = new ClientWebSocket();
            await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{pushpin.HttpPort}/plain/restart"), ct);
            await WsClients.SendTextAsync(ws, "before", ct);
            Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("echo:before"));

            await backend.DisposeAsync();
            // Sent while nobody listens: the proxy retries until the new backend answers.
            await WsClients.SendTextAsync(ws, "during", ct);
            backend = await WohEchoBackend.StartAsync(port);

            Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("echo:during"));
            await WsClients.SendTextAsync(ws, "after", ct);
            Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("echo:after"));
            Assert.That(ws.State, Is.EqualTo(WebSocketState.Open));
        }
        finally
        {
            await backend.DisposeAsync();
        }
    }
}
