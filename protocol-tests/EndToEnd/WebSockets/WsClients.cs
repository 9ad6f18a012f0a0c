using System.Net;
using System.Net.WebSockets;
using System.Text;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>Client-side helpers of the WebSocket end-to-end tests (receive whole messages, publish, wait for a subscription).</summary>
internal static class WsClients
{
    internal static async Task<(WebSocketMessageType Type, byte[] Data, WebSocketReceiveResult Last)> ReceiveAsync(WebSocket ws, CancellationToken ct, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(20));
        var buffer = new byte[64 * 1024];
        using var ms = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            ms.Write(buffer, 0, r.Count);
            if (r.EndOfMessage || r.MessageType == WebSocketMessageType.Close)
            {
                return (r.MessageType, ms.ToArray(), r);
            }
        }
    }

    /// <summary>The next text message, skipping subscription probes.</summary>
    internal static async Task<string> ReceiveTextAsync(WebSocket ws, CancellationToken ct)
    {
        while (true)
        {
            var (type, data, _) = await ReceiveAsync(ws, ct);
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Text));
            var text = Encoding.UTF8.GetString(data);
            if (text != Probe)
            {
                return text;
            }
        }
    }

    internal const string Probe = "probe";

    internal static Task SendTextAsync(WebSocket ws, string text, CancellationToken ct) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);

    internal static async Task PublishAsync(HttpClient http, PushpinCluster pushpin, object item, CancellationToken ct)
    {
        // The publish API wants a Content-Length (no chunked bodies).
        using var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { items = new[] { item } }), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(pushpin.PublishUri, content, ct);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>
    /// Connects and waits until the handler has the subscription (the backend's subscribe and
    /// a publish race, as upstream): publishes probes until one arrives.
    /// </summary>
    internal static async Task<ClientWebSocket> ConnectSubscribedAsync(HttpClient http, PushpinCluster pushpin, Uri uri, string channel, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(uri, ct);
        await WaitSubscribedAsync(http, pushpin, [ws], channel, ct);
        return ws;
    }

    /// <summary>Publishes probes to <paramref name="channel"/> until every client got one (other messages before it are skipped).</summary>
    internal static async Task WaitSubscribedAsync(HttpClient http, PushpinCluster pushpin, IReadOnlyList<WebSocket> clients, string channel, CancellationToken ct)
    {
        var all = Task.WhenAll(clients.Select(async ws =>
        {
            while (true)
            {
                var (type, data, _) = await ReceiveAsync(ws, ct, TimeSpan.FromSeconds(30));
                if (type == WebSocketMessageType.Text && Encoding.UTF8.GetString(data) == Probe)
                {
                    return;
                }
            }
        }));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!all.IsCompleted && DateTime.UtcNow < deadline)
        {
            await PublishAsync(http, pushpin, new { channel, formats = new Dictionary<string, object> { ["ws-message"] = new { content = Probe } } }, ct);
            await Task.WhenAny(all, Task.Delay(250, ct));
        }
        await all;
    }
}
