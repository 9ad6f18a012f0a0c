using System.Net.WebSockets;
using System.Text;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>
/// WebSocket over zhttp in server mode (internals.md §3.10): a .NET ClientWebSocket (or raw
/// frames) on one side, a NetMQ responder playing the proxy on the other, connmgr between over tcp.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class WebSocketServerTests
{
    private const string RawHandshake =
        "GET /ws HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private ServerHarness _h = null!;

    [SetUp]
    public async Task SetUp() => _h = await ServerHarness.StartAsync();

    [TearDown]
    public async Task TearDown() => await _h.DisposeAsync();

    [Test]
    public async Task Upgrade_becomes_a_ws_session_and_the_101_carries_accept_and_responder_headers()
    {
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("chat");
        var connect = ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_h.HttpPort}/chat?room=1"), CancellationToken.None);
        var initial = await _h.ExpectPacketAsync();
        Assert.Multiple(() =>
        {
            Assert.That(initial.Uri, Is.EqualTo($"ws://127.0.0.1:{_h.HttpPort}/chat?room=1"));
            Assert.That(initial.Stream, Is.False, "WebSocket sessions carry no stream flag");
            Assert.That(initial.Credits, Is.EqualTo(8192));
            Assert.That(initial.GetHeader("Sec-WebSocket-Key"), Is.Not.Null.And.Not.Empty);
            Assert.That(initial.GetHeader("Sec-WebSocket-Protocol"), Is.EqualTo("chat"));
            Assert.That(initial.GetHeader("Upgrade"), Is.EqualTo("websocket"));
        });
        var session = new ResponderSession(_h.Responder, "resp1", initial);
        session.Send(new ZhttpPacket { Code = 101, Reason = "Switching Protocols", Headers = [new HttpHeader("Sec-WebSocket-Protocol", "chat")], Credits = 100_000 });
        await connect.WaitAsync(ServerHarness.Wait);
        Assert.That(ws.SubProtocol, Is.EqualTo("chat"));
    }

    [Test]
    public async Task Raw_101_has_the_computed_accept_key()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync(RawHandshake);
        var initial = await _h.ExpectPacketAsync();
        Assert.That(initial.Uri, Is.EqualTo("ws://example.com/ws"));
        new ResponderSession(_h.Responder, "resp1", initial).Send(new ZhttpPacket { Code = 101, Reason = "Switching Protocols", Headers = [new HttpHeader("X-Extra", "1")], Credits = 1000 });
        var head = await client.ReadResponseAsync();
        Assert.That(head, Does.StartWith("HTTP/1.1 101 Switching Protocols\r\n"));
        Assert.That(head, Does.Contain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        Assert.That(head, Does.Contain("Upgrade: websocket\r\n").And.Contain("X-Extra: 1\r\n"));
    }

    [Test]
    public async Task Rejected_handshake_becomes_an_ordinary_http_response()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync(RawHandshake);
        var initial = await _h.ExpectPacketAsync();
        new ResponderSession(_h.Responder, "resp1", initial).Send(new ZhttpPacket
        {
            Type = ZhttpPacketType.Error,
            Condition = "rejected",
            Code = 403,
            Reason = "Forbidden",
            Headers = [new HttpHeader("Content-Type", "text/plain")],
            Body = "go away\n"u8.ToArray(),
        });
        var text = await client.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 403 Forbidden\r\n"));
        Assert.That(text, Does.Contain("Content-Type: text/plain\r\n").And.Contain("Content-Length: 8\r\n"));
        Assert.That(text, Does.EndWith("\r\n\r\ngo away\n"));
    }

    [Test]
    public async Task Invalid_handshake_is_refused_without_a_session()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync(RawHandshake.Replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", StringComparison.Ordinal));
        var text = await client.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 426 "));
        Assert.That(await _h.NextPacketAsync(TimeSpan.FromMilliseconds(300)), Is.Null);
    }

    [Test]
    public async Task Text_and_binary_messages_echo_with_their_content_types()
    {
        var (ws, session) = await OpenAsync();
        using (ws)
        {
            await ws.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            var p = await ExpectDataAsync();
            Assert.That((p.ContentType, Encoding.UTF8.GetString(p.Body.Span), p.More), Is.EqualTo(("text", "hello", false)));
            await ws.SendAsync(new byte[] { 0, 1, 2, 255 }, WebSocketMessageType.Binary, true, CancellationToken.None);
            p = await ExpectDataAsync();
            Assert.That((p.ContentType, p.Body.ToArray(), p.More), Is.EqualTo(("binary", new byte[] { 0, 1, 2, 255 }, false)));

            session.Send(new ZhttpPacket { ContentType = "text", Body = "world"u8.ToArray() });
            var (type, data, _) = await ReceiveMessageAsync(ws);
            Assert.That((type, Encoding.UTF8.GetString(data)), Is.EqualTo((WebSocketMessageType.Text, "world")));
            session.Send(new ZhttpPacket { ContentType = "binary", Body = new byte[] { 9, 8, 7 } });
            (type, data, _) = await ReceiveMessageAsync(ws);
            Assert.That((type, data), Is.EqualTo((WebSocketMessageType.Binary, new byte[] { 9, 8, 7 })));

            var credit = await ExpectTypeAsync(ZhttpPacketType.Credit);
            Assert.That(credit.Credits, Is.EqualTo(5), "credit comes back as the message is written");
        }
    }

    [Test]
    public async Task Fragmented_messages_use_more_both_ways()
    {
        var (ws, session) = await OpenAsync();
        using (ws)
        {
            await ws.SendAsync("ab"u8.ToArray(), WebSocketMessageType.Text, false, CancellationToken.None);
            await ws.SendAsync("cd"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            var first = await ExpectDataAsync();
            var second = await ExpectDataAsync();
            Assert.That((first.ContentType, Encoding.UTF8.GetString(first.Body.Span), first.More), Is.EqualTo(("text", "ab", true)));
            Assert.That((second.ContentType, Encoding.UTF8.GetString(second.Body.Span), second.More), Is.EqualTo(("text", "cd", false)));

            session.Send(new ZhttpPacket { ContentType = "binary", Body = new byte[] { 1, 2 }, More = true });
            session.Send(new ZhttpPacket { ContentType = "binary", Body = new byte[] { 3 }, More = false });
            var (type, data, frames) = await ReceiveMessageAsync(ws);
            Assert.That((type, data), Is.EqualTo((WebSocketMessageType.Binary, new byte[] { 1, 2, 3 })));
            Assert.That(frames, Is.EqualTo(2), "each packet became its own frame");
        }
    }

    [Test]
    public async Task Empty_non_final_fragments_are_skipped_both_ways()
    {
        var (client, session) = await OpenRawAsync();
        using (client)
        {
            var writer = new System.Buffers.ArrayBufferWriter<byte>();
            WebSocketFrameWriter.WriteFrame(writer, WebSocketOpcode.Text, false, false, [], 0x01020304);
            WebSocketFrameWriter.WriteFrame(writer, WebSocketOpcode.Continuation, true, false, "x"u8, 0x01020304);
            await client.SendRawAsync(writer.WrittenSpan.ToArray());
            var p = await ExpectDataAsync();
            Assert.That((p.ContentType, Encoding.UTF8.GetString(p.Body.Span), p.More), Is.EqualTo(("text", "x", false)));

            session.Send(new ZhttpPacket { ContentType = "binary", More = true });
            session.Send(new ZhttpPacket { ContentType = "binary", Body = new byte[] { 7 } });
            var frame = await client.ReadUntilAsync(s => s.Length >= 3);
            Assert.That(Encoding.Latin1.GetBytes(frame), Is.EqualTo(new byte[] { 0x82, 1, 7 }), "one final binary frame");
        }
    }

    [Test]
    public async Task One_mebibyte_message_moves_under_credits_both_ways()
    {
        var (ws, session) = await OpenAsync(credits: 8192);
        using (ws)
        {
            var message = new byte[1 << 20];
            new Random(7).NextBytes(message);

            // Client → responder: connmgr never sends more than granted; credit is returned as we read.
            var send = ws.SendAsync(message, WebSocketMessageType.Binary, true, CancellationToken.None);
            var received = new MemoryStream();
            long outstanding = 8192;
            while (true)
            {
                var p = await ExpectDataAsync();
                outstanding -= p.Body.Length;
                Assert.That(outstanding, Is.GreaterThanOrEqualTo(0), "connmgr overran its credits");
                Assert.That(p.ContentType, Is.EqualTo("binary"));
                received.Write(p.Body.Span);
                if (!p.More)
                {
                    break;
                }
                session.Credit(p.Body.Length);
                outstanding += p.Body.Length;
            }
            await send.WaitAsync(ServerHarness.Wait);
            Assert.That(received.ToArray(), Is.EqualTo(message));

            // Responder → client: 8192 credits granted at the start, spent and refilled by credit packets.
            var receive = ReceiveMessageAsync(ws);
            long window = 8192;
            var offset = 0;
            while (offset < message.Length)
            {
                while (window == 0)
                {
                    var c = await ExpectTypeAsync(ZhttpPacketType.Credit);
                    window += c.Credits;
                }
                var n = (int)Math.Min(window, message.Length - offset);
                session.Send(new ZhttpPacket { ContentType = "binary", Body = message.AsMemory(offset, n), More = offset + n < message.Length });
                window -= n;
                offset += n;
            }
            var (type, data, _) = await receive.WaitAsync(ServerHarness.Wait);
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(data, Is.EqualTo(message));
        }
    }

    [Test]
    public async Task Pings_are_forwarded_with_payload_and_not_answered_by_connmgr()
    {
        var (client, session) = await OpenRawAsync();
        using (client)
        {
            await client.SendRawAsync(ClientFrame(WebSocketOpcode.Ping, "pp"u8));
            var ping = await ExpectTypeAsync(ZhttpPacketType.Ping);
            Assert.That(Encoding.UTF8.GetString(ping.Body.Span), Is.EqualTo("pp"));

            // The responder pings the client: the client's pong comes back with the payload.
            session.Send(new ZhttpPacket { Type = ZhttpPacketType.Ping, Body = "abc"u8.ToArray() });
            var frame = await client.ReadUntilAsync(s => s.Length >= 5);
            Assert.That(Encoding.Latin1.GetBytes(frame), Is.EqualTo(new byte[] { 0x89, 3, (byte)'a', (byte)'b', (byte)'c' }), "no pong for the client's ping came first");
            await client.SendRawAsync(ClientFrame(WebSocketOpcode.Pong, "abc"u8));
            var pong = await ExpectTypeAsync(ZhttpPacketType.Pong);
            Assert.That(Encoding.UTF8.GetString(pong.Body.Span), Is.EqualTo("abc"));
        }
    }

    [Test]
    public async Task Client_close_code_and_reason_reach_the_responder_and_its_answer_the_client()
    {
        var (ws, session) = await OpenAsync();
        using (ws)
        {
            var close = ws.CloseAsync((WebSocketCloseStatus)4000, "bye-c", CancellationToken.None);
            var p = await ExpectTypeAsync(ZhttpPacketType.Close);
            Assert.That((p.Code, Encoding.UTF8.GetString(p.Body.Span)), Is.EqualTo((4000, "bye-c")));
            session.Send(new ZhttpPacket { Type = ZhttpPacketType.Close, Code = 4000, Body = "ok"u8.ToArray() });
            await close.WaitAsync(ServerHarness.Wait);
            Assert.That((ws.CloseStatus, ws.CloseStatusDescription), Is.EqualTo(((WebSocketCloseStatus)4000, "ok")));
        }
    }

    [Test]
    public async Task Responder_close_code_passes_through_and_the_client_answer_comes_back()
    {
        var (ws, session) = await OpenAsync();
        using (ws)
        {
            session.Send(new ZhttpPacket { Type = ZhttpPacketType.Close, Code = 4001, Body = "bye"u8.ToArray() });
            var result = await ws.ReceiveAsync(new byte[16], CancellationToken.None).WaitAsync(ServerHarness.Wait);
            Assert.That((result.MessageType, result.CloseStatus, result.CloseStatusDescription), Is.EqualTo((WebSocketMessageType.Close, (WebSocketCloseStatus?)4001, "bye")));
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "norm", CancellationToken.None);
            var p = await ExpectTypeAsync(ZhttpPacketType.Close);
            Assert.That((p.Code, Encoding.UTF8.GetString(p.Body.Span)), Is.EqualTo((1000, "norm")));
        }
    }

    [Test]
    public async Task Responder_close_without_code_is_a_close_frame_without_status()
    {
        var (client, session) = await OpenRawAsync();
        using (client)
        {
            session.Send(new ZhttpPacket { Type = ZhttpPacketType.Close });
            var frame = await client.ReadUntilAsync(s => s.Length >= 2);
            Assert.That(Encoding.Latin1.GetBytes(frame), Is.EqualTo(new byte[] { 0x88, 0x00 }));
            await client.SendRawAsync(ClientFrame(WebSocketOpcode.Close, []));
            var p = await ExpectTypeAsync(ZhttpPacketType.Close);
            Assert.That(p.Code, Is.EqualTo(-1), "a client close without status carries no code");
            Assert.That(await client.IsClosedAsync(ServerHarness.Wait), Is.True, "both closes done: the connection ends");
        }
    }

    [Test]
    public async Task Unanswered_close_ends_the_connection_after_the_close_timeout()
    {
        await _h.DisposeAsync();
        _h = await ServerHarness.StartAsync(o => o with { WebSocketCloseTimeout = TimeSpan.FromMilliseconds(300) });
        var (client, session) = await OpenRawAsync();
        using (client)
        {
            session.Send(new ZhttpPacket { Type = ZhttpPacketType.Close, Code = 1001 });
            var text = await client.ReadToEndAsync();
            Assert.That(Encoding.Latin1.GetBytes(text)[0], Is.EqualTo(0x88));
            await ExpectTypeAsync(ZhttpPacketType.Cancel);
        }
    }

    [Test]
    public async Task Frame_over_the_limit_gets_close_1009()
    {
        var (client, _) = await OpenRawAsync();
        using (client)
        {
            // Masked binary frame header announcing 2 MiB (64-bit length), no payload needed.
            byte[] header = [0x82, 0xFF, 0, 0, 0, 0, 0, 0x20, 0, 0, 1, 2, 3, 4];
            await client.SendRawAsync(header);
            var bytes = Encoding.Latin1.GetBytes(await client.ReadToEndAsync());
            Assert.That((bytes[0], bytes[2], bytes[3]), Is.EqualTo(((byte)0x88, (byte)0x03, (byte)0xF1)), "close frame with 1009");
            await ExpectTypeAsync(ZhttpPacketType.Cancel);
        }
    }

    [Test]
    public async Task Bad_frame_gets_close_1002_the_responder_a_cancel_and_the_server_keeps_serving()
    {
        var (client, _) = await OpenRawAsync();
        using (client)
        {
            // Unmasked client frame: a protocol error (RFC 6455 §5.1).
            await client.SendRawAsync([0x81, 0x02, (byte)'h', (byte)'i']);
            var bytes = Encoding.Latin1.GetBytes(await client.ReadToEndAsync());
            Assert.That(bytes.Length, Is.GreaterThanOrEqualTo(4));
            Assert.That((bytes[0], bytes[2], bytes[3]), Is.EqualTo(((byte)0x88, (byte)0x03, (byte)0xEA)), "close frame with 1002");
            await ExpectTypeAsync(ZhttpPacketType.Cancel);
        }

        using var next = await _h.ConnectAsync();
        await next.SendAsync("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
        var initial = await _h.ExpectPacketAsync();
        new ResponderSession(_h.Responder, "resp1", initial).Respond(200, "OK", [], "still here", more: false);
        Assert.That(await next.ReadResponseAsync(), Does.EndWith("still here"));
    }

    [Test]
    public async Task Compression_negotiates_permessage_deflate_when_enabled()
    {
        await _h.DisposeAsync();
        _h = await ServerHarness.StartAsync(o => o with { Compression = true });
        using var ws = new ClientWebSocket();
        ws.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        ws.Options.CollectHttpResponseDetails = true;
        var connect = ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_h.HttpPort}/z"), CancellationToken.None);
        var initial = await _h.ExpectPacketAsync();
        Assert.That(initial.GetHeader("Sec-WebSocket-Extensions"), Is.Null, "the extension is connmgr's, not the responder's");
        var session = new ResponderSession(_h.Responder, "resp1", initial);
        session.Send(new ZhttpPacket { Code = 101, Credits = 100_000 });
        await connect.WaitAsync(ServerHarness.Wait);
        Assert.That(ws.HttpResponseHeaders!.TryGetValue("Sec-WebSocket-Extensions", out var extensions), Is.True);
        Assert.That(string.Join(",", extensions!), Does.StartWith("permessage-deflate"));

        var text = string.Concat(Enumerable.Repeat("compress me ", 500));
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        var received = new StringBuilder();
        while (true)
        {
            var p = await ExpectDataAsync();
            received.Append(Encoding.UTF8.GetString(p.Body.Span));
            if (!p.More)
            {
                break;
            }
        }
        Assert.That(received.ToString(), Is.EqualTo(text));
        session.Send(new ZhttpPacket { ContentType = "text", Body = Encoding.UTF8.GetBytes(text) });
        var (_, data, _) = await ReceiveMessageAsync(ws);
        Assert.That(Encoding.UTF8.GetString(data), Is.EqualTo(text));
    }

    private async Task<(ClientWebSocket Ws, ResponderSession Session)> OpenAsync(int credits = 100_000)
    {
        var ws = new ClientWebSocket();
        var connect = ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_h.HttpPort}/ws"), CancellationToken.None);
        var initial = await _h.ExpectPacketAsync();
        var session = new ResponderSession(_h.Responder, "resp1", initial);
        session.Send(new ZhttpPacket { Code = 101, Reason = "Switching Protocols", Credits = credits });
        await connect.WaitAsync(ServerHarness.Wait);
        return (ws, session);
    }

    private async Task<(TestClient Client, ResponderSession Session)> OpenRawAsync()
    {
        var client = await _h.ConnectAsync();
        await client.SendAsync(RawHandshake);
        var initial = await _h.ExpectPacketAsync();
        var session = new ResponderSession(_h.Responder, "resp1", initial);
        session.Send(new ZhttpPacket { Code = 101, Reason = "Switching Protocols", Credits = 100_000 });
        Assert.That(await client.ReadResponseAsync(), Does.StartWith("HTTP/1.1 101 "));
        return (client, session);
    }

    private static byte[] ClientFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(writer, opcode, true, false, payload, 0x12345678);
        return writer.WrittenSpan.ToArray();
    }

    private async Task<ZhttpPacket> ExpectDataAsync() => await ExpectTypeAsync(ZhttpPacketType.Data);

    /// <summary>Next packet of the given type, skipping keep-alives and (unless asked for) credits.</summary>
    private async Task<ZhttpPacket> ExpectTypeAsync(ZhttpPacketType type)
    {
        while (true)
        {
            var p = await _h.ExpectPacketAsync();
            if (p.Type == type)
            {
                return p;
            }
            if (p.Type is ZhttpPacketType.KeepAlive or ZhttpPacketType.Credit)
            {
                continue;
            }
            Assert.Fail($"expected {type}, got {p}");
        }
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data, int Frames)> ReceiveMessageAsync(ClientWebSocket ws)
    {
        using var cts = new CancellationTokenSource(ServerHarness.Wait);
        var buffer = new byte[1 << 16];
        var data = new MemoryStream();
        var frames = 0;
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            frames++;
            data.Write(buffer, 0, r.Count);
            if (r.EndOfMessage)
            {
                return (r.MessageType, data.ToArray(), frames);
            }
        }
    }
}
