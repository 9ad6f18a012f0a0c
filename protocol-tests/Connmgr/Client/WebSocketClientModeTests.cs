using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Client;

/// <summary>
/// connmgr client mode with <c>ws://</c> requests: a real Kestrel WebSocket backend behind it and
/// a real NetMQ requester (playing the proxy) in front.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class WebSocketClientModeTests
{
    private TestBackend _backend = null!;
    private ClientHarness _h = null!;
    private TaskCompletionSource<(WebSocketCloseStatus? Status, string? Description)> _closeSeenByBackend = null!;

    [SetUp]
    public async Task SetUp()
    {
        _closeSeenByBackend = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _backend = await TestBackend.StartAsync(app =>
        {
            app.UseWebSockets();
            app.MapGet("/probe", () => "ok");
            app.Map("/ws/echo", EchoAsync);
            app.Map("/ws/deflate", (HttpContext c) => EchoAsync(c, new WebSocketAcceptContext { DangerousEnableCompression = true }));
            app.Map("/ws/whole", WholeMessageEchoAsync);
            app.Map("/ws/reject", async (HttpContext c) =>
            {
                c.Response.StatusCode = 403;
                c.Response.Headers["X-Why"] = "not you";
                await c.Response.WriteAsync("go away");
            });
            app.Map("/ws/big-reject", async (HttpContext c) =>
            {
                c.Response.StatusCode = 403;
                await c.Response.WriteAsync(new string('x', 20_000));
            });
            app.Map("/ws/server-closes", async (HttpContext c) =>
            {
                using var ws = await c.WebSockets.AcceptWebSocketAsync();
                await ws.SendAsync("bye soon"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
                await ws.CloseOutputAsync((WebSocketCloseStatus)4003, "server bye", CancellationToken.None);
                var buffer = new byte[1024];
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                _closeSeenByBackend.TrySetResult((r.CloseStatus, r.CloseStatusDescription));
            });
            app.Map("/ws/abort", async (HttpContext c) =>
            {
                using var ws = await c.WebSockets.AcceptWebSocketAsync();
                await ws.ReceiveAsync(new byte[64], CancellationToken.None);
                c.Abort();
            });
        });
        _h = await ClientHarness.StartAsync(_backend);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _h.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private async Task EchoAsync(HttpContext c) => await EchoAsync(c, new WebSocketAcceptContext());

    /// <summary>Echoes frame by frame (fragment boundaries kept), then answers a close with 4002 "ok".</summary>
    private async Task EchoAsync(HttpContext c, WebSocketAcceptContext accept)
    {
        if (!c.WebSockets.IsWebSocketRequest)
        {
            c.Response.StatusCode = 400;
            return;
        }
        if (c.WebSockets.WebSocketRequestedProtocols.Contains("chat"))
        {
            accept.SubProtocol = "chat";
        }
        using var ws = await c.WebSockets.AcceptWebSocketAsync(accept);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                _closeSeenByBackend.TrySetResult((r.CloseStatus, r.CloseStatusDescription));
                await ws.CloseOutputAsync((WebSocketCloseStatus)4002, "ok", CancellationToken.None);
                return;
            }
            await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
        }
    }

    /// <summary>Collects a whole message and sends it back as one frame.</summary>
    private async Task WholeMessageEchoAsync(HttpContext c)
    {
        using var ws = await c.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return;
            }
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage)
            {
                await ws.SendAsync(message.ToArray(), r.MessageType, true, CancellationToken.None);
                message.SetLength(0);
            }
        }
    }

    private ZhttpPacket WsRequest(string path, IEnumerable<(string, string)>? headers = null, int credits = 200000) =>
        new()
        {
            Method = "GET",
            Uri = $"ws://127.0.0.1:{_backend.Port}{path}",
            Headers = (headers ?? [("Host", $"127.0.0.1:{_backend.Port}")]).Select(h => new HttpHeader(h.Item1, h.Item2)).ToList(),
            RouterResp = true,
            Credits = credits,
            IgnorePolicies = true,
        };

    /// <summary>A session whose handshake was accepted; tracks our outgoing seq.</summary>
    private sealed class Session(ClientHarness h, string id, ZhttpPacket accept)
    {
        private int _seq = 1;

        public string Id { get; } = id;

        public ZhttpPacket Accept { get; } = accept;

        public void Send(ZhttpPacket p) => h.Continue(Id, _seq++, p);

        public Task<ZhttpPacket> NextAsync() => h.NextAsync(Id);

        /// <summary>The next packet that is not a keep-alive or a credit.</summary>
        public async Task<ZhttpPacket> NextContentAsync()
        {
            while (true)
            {
                var p = await h.NextAsync(Id);
                if (p.Type is not (ZhttpPacketType.KeepAlive or ZhttpPacketType.Credit))
                {
                    return p;
                }
            }
        }
    }

    private async Task<Session> OpenAsync(ZhttpPacket request)
    {
        var id = _h.Begin(request);
        var accept = await _h.NextAsync(id);
        Assert.That((accept.Type, accept.Code), Is.EqualTo((ZhttpPacketType.Data, 101)), accept.ToString());
        return new Session(_h, id, accept);
    }

    [Test]
    public async Task Accepted_handshake_gives_101_with_the_backend_headers_and_credits()
    {
        var s = await OpenAsync(WsRequest("/ws/echo", [("Host", $"127.0.0.1:{_backend.Port}"), ("Sec-WebSocket-Protocol", "chat"), ("X-Extra", "1")]));
        Assert.That(s.Accept.Credits, Is.EqualTo(8192));
        Assert.That(s.Accept.More, Is.False);
        Assert.That(s.Accept.Seq, Is.EqualTo(0));
        Assert.That(s.Accept.GetHeader("Sec-WebSocket-Protocol"), Is.EqualTo("chat"));
        Assert.That(s.Accept.GetHeader("Upgrade"), Is.EqualTo("websocket"));
        var seen = _backend.LastRequest;
        Assert.That(seen.Headers["X-Extra"], Is.EqualTo("1"));
        Assert.That(seen.Headers["Sec-WebSocket-Version"], Is.EqualTo("13"));
        Assert.That(seen.Headers.ContainsKey("Sec-WebSocket-Extensions"), Is.False, "no compression unless asked");
    }

    [Test]
    public async Task Rejected_handshake_is_error_rejected_with_the_backend_response()
    {
        var id = _h.Begin(WsRequest("/ws/reject"));
        var p = await _h.NextAsync(id);
        Assert.That((p.Type, p.Condition), Is.EqualTo((ZhttpPacketType.Error, "rejected")));
        Assert.That(p.Code, Is.EqualTo(403));
        Assert.That(p.Reason, Is.EqualTo("Forbidden"));
        Assert.That(p.GetHeader("X-Why"), Is.EqualTo("not you"));
        Assert.That(Encoding.ASCII.GetString(p.Body.Span), Is.EqualTo("go away"));
        await Eventually.TrueAsync(() => _h.Client.SessionCount == 0, "the session to end");
    }

    [Test]
    public async Task Rejection_with_a_body_over_the_buffer_size_is_rejection_too_large()
    {
        var p = await _h.NextAsync(_h.Begin(WsRequest("/ws/big-reject")));
        Assert.That((p.Type, p.Condition), Is.EqualTo((ZhttpPacketType.Error, "rejection-too-large")));
    }

    [Test]
    public async Task Text_and_binary_messages_echo_with_their_content_types()
    {
        var s = await OpenAsync(WsRequest("/ws/echo"));
        s.Send(new ZhttpPacket { ContentType = "text", Body = "hello"u8.ToArray() });
        var text = await s.NextContentAsync();
        Assert.That((text.ContentType ?? "text", Encoding.UTF8.GetString(text.Body.Span), text.More), Is.EqualTo(("text", "hello", false)));
        s.Send(new ZhttpPacket { ContentType = "binary", Body = new byte[] { 0, 1, 2, 255 } });
        var binary = await s.NextContentAsync();
        Assert.That(binary.ContentType, Is.EqualTo("binary"));
        Assert.That(binary.Body.ToArray(), Is.EqualTo(new byte[] { 0, 1, 2, 255 }));
    }

    [Test]
    public async Task Fragmented_message_keeps_its_fragments_as_more_packets()
    {
        var s = await OpenAsync(WsRequest("/ws/echo"));
        s.Send(new ZhttpPacket { ContentType = "text", Body = "ab"u8.ToArray(), More = true });
        s.Send(new ZhttpPacket { ContentType = "text", Body = "cd"u8.ToArray() });
        var first = await s.NextContentAsync();
        var second = await s.NextContentAsync();
        Assert.That((Encoding.UTF8.GetString(first.Body.Span), first.More), Is.EqualTo(("ab", true)));
        Assert.That((Encoding.UTF8.GetString(second.Body.Span), second.More), Is.EqualTo(("cd", false)));
        Assert.That(second.ContentType ?? "text", Is.EqualTo("text"));
    }

    [Test]
    public async Task One_mebibyte_message_flows_both_ways_under_credits()
    {
        // Response credits of 64 KiB: connmgr must stop and wait for more.
        var s = await OpenAsync(WsRequest("/ws/whole", credits: 65536));
        var message = new byte[1 << 20];
        new Random(7).NextBytes(message);
        long window = s.Accept.Credits;
        var sent = 0;
        var received = new MemoryStream();
        var packets = 0;
        while (sent < message.Length)
        {
            // Send what the window allows; connmgr gives it back with credit packets as it writes.
            var n = (int)Math.Min(window, Math.Min(8192, message.Length - sent));
            if (n > 0)
            {
                s.Send(new ZhttpPacket { ContentType = "binary", Body = message.AsMemory(sent, n), More = sent + n < message.Length });
                sent += n;
                window -= n;
                continue;
            }
            var p = await s.NextAsync();
            Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Credit).Or.EqualTo(ZhttpPacketType.KeepAlive), p.ToString());
            window += Math.Max(0, p.Credits);
        }
        var granted = 65536L;
        long spent = 0;
        while (true)
        {
            var p = await s.NextAsync();
            if (p.Type is ZhttpPacketType.Credit or ZhttpPacketType.KeepAlive)
            {
                continue;
            }
            Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Data), p.ToString());
            Assert.That(p.ContentType, Is.EqualTo("binary"));
            Assert.That(p.Body.Length, Is.LessThanOrEqualTo(8192));
            spent += p.Body.Length;
            Assert.That(spent, Is.LessThanOrEqualTo(granted), "connmgr sent more than its credits");
            received.Write(p.Body.Span);
            packets++;
            if (!p.More)
            {
                break;
            }
            if (spent == granted)
            {
                s.Send(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 65536 });
                granted += 65536;
            }
        }
        Assert.That(received.ToArray(), Is.EqualTo(message));
        Assert.That(packets, Is.GreaterThanOrEqualTo(128));
    }

    [Test]
    public async Task Ping_payload_reaches_the_backend_and_its_pong_comes_back()
    {
        var s = await OpenAsync(WsRequest("/ws/echo"));
        s.Send(new ZhttpPacket { Type = ZhttpPacketType.Ping, Body = "pp-123"u8.ToArray() });
        var pong = await s.NextContentAsync();
        Assert.That((pong.Type, Encoding.ASCII.GetString(pong.Body.Span)), Is.EqualTo((ZhttpPacketType.Pong, "pp-123")));
    }

    [Test]
    public async Task Requester_close_code_reaches_the_backend_and_its_answer_comes_back()
    {
        var s = await OpenAsync(WsRequest("/ws/echo"));
        s.Send(new ZhttpPacket { Type = ZhttpPacketType.Close, Code = 4001, Body = "bye"u8.ToArray() });
        var seen = await _closeSeenByBackend.Task.WaitAsync(ClientHarness.Wait);
        Assert.That(((int?)seen.Status, seen.Description), Is.EqualTo(((int?)4001, "bye")));
        var close = await s.NextContentAsync();
        Assert.That((close.Type, close.Code, Encoding.UTF8.GetString(close.Body.Span)), Is.EqualTo((ZhttpPacketType.Close, 4002, "ok")));
        await Eventually.TrueAsync(() => _h.Client.SessionCount == 0, "the session to end after both closes");
    }

    [Test]
    public async Task Backend_close_code_reaches_the_requester_and_its_answer_goes_back()
    {
        var s = await OpenAsync(WsRequest("/ws/server-closes"));
        var text = await s.NextContentAsync();
        Assert.That(Encoding.UTF8.GetString(text.Body.Span), Is.EqualTo("bye soon"));
        var close = await s.NextContentAsync();
        Assert.That((close.Type, close.Code, Encoding.UTF8.GetString(close.Body.Span)), Is.EqualTo((ZhttpPacketType.Close, 4003, "server bye")));
        s.Send(new ZhttpPacket { Type = ZhttpPacketType.Close, Code = 1000, Body = "norm"u8.ToArray() });
        var seen = await _closeSeenByBackend.Task.WaitAsync(ClientHarness.Wait);
        Assert.That(((int?)seen.Status, seen.Description), Is.EqualTo(((int?)1000, "norm")));
        await Eventually.TrueAsync(() => _h.Client.SessionCount == 0, "the session to end after both closes");
    }

    [Test]
    public async Task Backend_disconnect_without_close_is_cancel()
    {
        var s = await OpenAsync(WsRequest("/ws/abort"));
        s.Send(new ZhttpPacket { ContentType = "text", Body = "go"u8.ToArray() });
        var end = await s.NextContentAsync();
        Assert.That(end.Type, Is.EqualTo(ZhttpPacketType.Cancel), end.ToString());
        await Eventually.TrueAsync(() => _h.Client.SessionCount == 0, "the session to end");
    }

    [Test]
    public async Task Permessage_deflate_is_offered_when_the_request_asks_and_messages_still_echo()
    {
        var s = await OpenAsync(WsRequest("/ws/deflate", [("Host", $"127.0.0.1:{_backend.Port}"), ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]));
        Assert.That(s.Accept.GetHeader("Sec-WebSocket-Extensions"), Is.Null, "compression is this hop's business");
        Assert.That(_backend.LastRequest.Headers["Sec-WebSocket-Extensions"], Is.EqualTo("permessage-deflate"));
        var text = string.Concat(Enumerable.Repeat("compress me ", 500));
        s.Send(new ZhttpPacket { ContentType = "text", Body = Encoding.UTF8.GetBytes(text[..3000]), More = true });
        s.Send(new ZhttpPacket { ContentType = "text", Body = Encoding.UTF8.GetBytes(text[3000..]) });
        var echoed = new StringBuilder();
        while (true)
        {
            var p = await s.NextContentAsync();
            echoed.Append(Encoding.UTF8.GetString(p.Body.Span));
            if (!p.More)
            {
                break;
            }
        }
        Assert.That(echoed.ToString(), Is.EqualTo(text));
    }

    [Test]
    public async Task Requester_cancel_closes_the_backend_connection()
    {
        var s = await OpenAsync(WsRequest("/ws/echo"));
        s.Send(new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        await Eventually.TrueAsync(() => _h.Client.SessionCount == 0, "the session to end");
        // The backend sees the connection drop (ReceiveAsync fails, so no close status is recorded).
        Assert.That(_closeSeenByBackend.Task.IsCompleted, Is.False);
    }

    [Test]
    public async Task Refused_websocket_target_is_remote_connection_failed()
    {
        var request = WsRequest("/ws/echo");
        request.Uri = $"ws://127.0.0.1:{FreePorts.One()}/ws/echo";
        var p = await _h.NextAsync(_h.Begin(request));
        Assert.That((p.Type, p.Condition), Is.EqualTo((ZhttpPacketType.Error, "remote-connection-failed")));
    }
}
