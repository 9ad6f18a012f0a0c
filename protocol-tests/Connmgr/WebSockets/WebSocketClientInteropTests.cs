using System.Net.WebSockets;
using System.Text;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

/// <summary>.NET's own ClientWebSocket (an independent implementation) against our server-side pieces.</summary>
public sealed class WebSocketClientInteropTests
{
    private static async Task<ClientWebSocket> ConnectAsync(WebSocketEchoServer server, bool deflate, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        if (deflate)
        {
            ws.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        }

        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/chat"), ct);
        return ws;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(ClientWebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[8192];
        using var data = new MemoryStream();
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, ct);
            data.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, data.ToArray());
            }
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(20_000)]
    public async Task Fragmented_text_large_binary_and_close_echo_through_a_real_client(bool deflate, CancellationToken ct)
    {
        await using var server = new WebSocketEchoServer();
        using var ws = await ConnectAsync(server, deflate, ct);
        Assert.That(server.NegotiatedExtensions, deflate ? Is.EqualTo("permessage-deflate") : Is.Null);

        // "héllo wörld" sent in two fragments that split the 2-byte "é".
        var text = Encoding.UTF8.GetBytes("héllo wörld");
        await ws.SendAsync(text.AsMemory(0, 2), WebSocketMessageType.Text, false, ct);
        await ws.SendAsync(text.AsMemory(2), WebSocketMessageType.Text, true, ct);
        var echoed = await ReceiveMessageAsync(ws, ct);
        Assert.That(echoed.Type, Is.EqualTo(WebSocketMessageType.Text));
        Assert.That(Encoding.UTF8.GetString(echoed.Data), Is.EqualTo("héllo wörld"));

        var binary = new byte[100_000];
        new Random(5).NextBytes(binary.AsSpan(0, 50_000));
        await ws.SendAsync(binary, WebSocketMessageType.Binary, true, ct);
        var big = await ReceiveMessageAsync(ws, ct);
        Assert.That(big.Type, Is.EqualTo(WebSocketMessageType.Binary));
        Assert.That(big.Data, Is.EqualTo(binary));

        // Several messages in a row exercise context takeover in both directions.
        for (var i = 0; i < 5; i++)
        {
            await ws.SendAsync(Encoding.UTF8.GetBytes($"again {i} again"), WebSocketMessageType.Text, true, ct);
            Assert.That(Encoding.UTF8.GetString((await ReceiveMessageAsync(ws, ct)).Data), Is.EqualTo($"again {i} again"));
        }

        await ws.CloseAsync((WebSocketCloseStatus)4001, "bye", ct);
        Assert.That(ws.CloseStatus, Is.EqualTo((WebSocketCloseStatus)4001));
        Assert.That(ws.CloseStatusDescription, Is.EqualTo("bye"));
        await server.Completion;
        Assert.That(server.Error, Is.Null);
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Invalid_utf8_from_a_real_client_is_closed_with_1007(CancellationToken ct)
    {
        await using var server = new WebSocketEchoServer();
        using var ws = await ConnectAsync(server, false, ct);
        await ws.SendAsync(new byte[] { (byte)'a', 0xC0, 0xAF }, WebSocketMessageType.Text, true, ct);
        var result = await ws.ReceiveAsync(new byte[256], ct);
        Assert.That(result.MessageType, Is.EqualTo(WebSocketMessageType.Close));
        Assert.That(result.CloseStatus, Is.EqualTo(WebSocketCloseStatus.InvalidPayloadData));
        await server.Completion;
        Assert.That(server.Error?.CloseCode, Is.EqualTo(WebSocketCloseCodes.InvalidPayload));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Message_over_the_limit_from_a_real_client_is_closed_with_1009(CancellationToken ct)
    {
        await using var server = new WebSocketEchoServer(maxMessageSize: 1000);
        using var ws = await ConnectAsync(server, false, ct);
        await ws.SendAsync(new byte[600], WebSocketMessageType.Binary, false, ct);
        await ws.SendAsync(new byte[600], WebSocketMessageType.Binary, true, ct);
        var result = await ws.ReceiveAsync(new byte[256], ct);
        Assert.That(result.CloseStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
        await server.Completion;
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Compressed_message_over_the_limit_after_inflation_is_closed_with_1009(CancellationToken ct)
    {
        await using var server = new WebSocketEchoServer(maxMessageSize: 10_000);
        using var ws = await ConnectAsync(server, true, ct);
        await ws.SendAsync(new byte[50_000], WebSocketMessageType.Binary, true, ct);
        var result = await ws.ReceiveAsync(new byte[256], ct);
        Assert.That(result.CloseStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
        await server.Completion;
    }
}
