using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.Connmgr.WebSockets;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

/// <summary>Our client-role pieces (connmgr client mode) against Kestrel's WebSocket server.</summary>
public sealed class WebSocketClientRoleInteropTests
{
    private static Task<TestBackend> StartEchoBackendAsync() => TestBackend.StartAsync(app =>
    {
        app.UseWebSockets();
        app.Map("/echo", async (HttpContext ctx) =>
        {
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = true });
            var buffer = new byte[256 * 1024];
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await ws.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += r.Count;
                }
                while (!r.EndOfMessage);

                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseAsync(ws.CloseStatus ?? WebSocketCloseStatus.NormalClosure, ws.CloseStatusDescription, CancellationToken.None);
                    return;
                }

                await ws.SendAsync(buffer.AsMemory(0, count), r.MessageType, true, CancellationToken.None);
            }
        });
    });

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(30_000)]
    public async Task Masked_client_frames_and_close_round_trip_through_kestrel(bool deflate, CancellationToken ct)
    {
        await using var backend = await StartEchoBackendAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, backend.Port, ct);
        var stream = tcp.GetStream();
        var key = WebSocketHandshake.NewClientKey();
        var request = $"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:{backend.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            + (deflate ? $"Sec-WebSocket-Extensions: {PerMessageDeflateNegotiator.ClientOffer}\r\n" : string.Empty)
            + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), ct);

        var reader = PipeReader.Create(stream);
        var head = await ReadHeadAsync(reader, ct);
        Assert.That(head[0], Does.StartWith("HTTP/1.1 101"));
        var accept = head.FirstOrDefault(l => l.StartsWith("Sec-WebSocket-Accept:", StringComparison.OrdinalIgnoreCase))?[21..];
        Assert.That(WebSocketHandshake.IsValidAccept(key, accept), Is.True);
        var extensions = head.Where(l => l.StartsWith("Sec-WebSocket-Extensions:", StringComparison.OrdinalIgnoreCase)).Select(l => l[25..].Trim()).ToList();
        Assert.That(PerMessageDeflateNegotiator.TryReadResponse(extensions, out var parameters), Is.True, string.Join(", ", extensions));
        Assert.That(parameters is not null, Is.EqualTo(deflate));

        using var sender = new WebSocketSender(WebSocketRole.Client, parameters);
        using var receiver = new WebSocketReceiver(WebSocketRole.Client, parameters, 1 << 20);
        var output = new ArrayBufferWriter<byte>();
        var messages = new List<string>();
        var big = new byte[70_000];
        new Random(9).NextBytes(big.AsSpan(0, 30_000));
        sender.WriteMessage(output, WebSocketOpcode.Text, Encoding.UTF8.GetBytes("héllo"));
        sender.WriteMessage(output, WebSocketOpcode.Binary, big);
        sender.WriteMessage(output, WebSocketOpcode.Text, Encoding.UTF8.GetBytes("again"));
        sender.WriteClose(output, 4001, "bye");
        await stream.WriteAsync(output.WrittenMemory, ct);

        var payload = new ArrayBufferWriter<byte>();
        byte[]? bigEcho = null;
        ushort closeCode = 0;
        string? closeReason = null;
        var opcode = WebSocketOpcode.Text;
        while (closeReason is null)
        {
            var read = await reader.ReadAsync(ct);
            var buffer = read.Buffer;
            while (true)
            {
                var status = receiver.TryReceive(buffer, payload, out var received, out var consumed, out var error);
                Assert.That(status, Is.Not.EqualTo(WebSocketParseStatus.Error), error.Reason);
                if (status == WebSocketParseStatus.NeedMoreData)
                {
                    break;
                }

                buffer = buffer.Slice(consumed);
                if (received.Opcode == WebSocketOpcode.Close)
                {
                    (closeCode, closeReason) = (received.CloseCode, received.CloseReason);
                    break;
                }

                opcode = received.IsFirst ? received.Opcode : opcode;
                if (received.IsFinal)
                {
                    if (opcode == WebSocketOpcode.Binary)
                    {
                        bigEcho = payload.WrittenSpan.ToArray();
                    }
                    else
                    {
                        messages.Add(Encoding.UTF8.GetString(payload.WrittenSpan));
                    }

                    payload.ResetWrittenCount();
                }
            }

            Assert.That(read.IsCompleted && closeReason is null, Is.False, "server closed the socket without a close frame");
            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        Assert.That(messages, Is.EqualTo(new[] { "héllo", "again" }));
        Assert.That(bigEcho, Is.EqualTo(big));
        Assert.That((closeCode, closeReason), Is.EqualTo(((ushort)4001, "bye")));
    }

    private static async Task<List<string>> ReadHeadAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            var text = Encoding.Latin1.GetString(read.Buffer);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                reader.AdvanceTo(read.Buffer.GetPosition(end + 4));
                return [.. text[..end].Split("\r\n")];
            }

            Assert.That(read.IsCompleted, Is.False, "connection closed during the handshake");
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
