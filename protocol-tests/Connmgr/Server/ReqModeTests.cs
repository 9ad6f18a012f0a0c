using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Server;
using Pushpin.Connmgr.Transport;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>
/// <c>,req</c> listeners (zhttp req mode): one request packet through the DEALER, one response
/// packet back; a real NetMQ ROUTER plays upstream's req-mode handler.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ReqModeTests
{
    private HttpServer _server = null!;
    private RouterSocket _router = null!;
    private int _httpPort;

    [SetUp]
    public async Task SetUp()
    {
        var zport = FreePorts.One();
        _httpPort = FreePorts.One();
        _server = new HttpServer(
            new ServerOptions
            {
                Listen = [ListenSpec.Parse($"127.0.0.1:{_httpPort},req")],
                ZhttpReqSpecs = [$"tcp://127.0.0.1:{zport}"],
                SweepInterval = TimeSpan.FromMilliseconds(100),
                ReqTimeout = TimeSpan.FromSeconds(2),
                BodyBufferSize = 1000,
            },
            NullLogger.Instance);
        _server.Start();
        _router = new RouterSocket();
        _router.Connect($"tcp://127.0.0.1:{zport}");
        // The DEALER refuses (503) until the connect completed: wait for a request to get through.
        var attempt = 0;
        await Eventually.TrueAsync(async () =>
        {
            using var c = await ConnectAsync();
            var path = $"/probe{++attempt}";
            await c.SendAsync($"GET {path} HTTP/1.1\r\nHost: p\r\n\r\n");
            // An earlier attempt's request may arrive late: skip those.
            (List<byte[]> Envelope, ZhttpPacket Packet, byte[] Raw)? probe;
            do
            {
                probe = Receive(TimeSpan.FromMilliseconds(500));
            }
            while (probe is { } stale && stale.Packet.Uri != "http://p" + path);
            if (probe is not { } answered)
            {
                return false;
            }
            Reply(answered.Envelope, new ZhttpPacket { Id = answered.Packet.Id, Code = 200, Reason = "OK" });
            return (await c.ReadResponseAsync(TimeSpan.FromSeconds(2))).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }, "the req-mode responder to be connected", TimeSpan.FromSeconds(10));
        // Late copies of refused probes must not be taken for a test's packet.
        while (Receive(TimeSpan.FromMilliseconds(200)) is not null)
        {
        }
    }

    [TearDown]
    public async Task TearDown()
    {
        _router.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<TestClient> ConnectAsync()
    {
        var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _httpPort);
        return new TestClient(tcp);
    }

    private (List<byte[]> Envelope, ZhttpPacket Packet, byte[] Raw)? Receive(TimeSpan timeout)
    {
        var frames = new List<byte[]>();
        if (!_router.TryReceiveMultipartBytes(timeout, ref frames))
        {
            return null;
        }
        Assert.That(frames, Has.Count.EqualTo(3), "req mode frames: [routing id, \"\", payload]");
        Assert.That(frames[1], Is.Empty);
        Assert.That(ZhttpCodec.TryDecode(frames[2], out var packet, out var error), Is.True, error);
        return (frames.GetRange(0, 2), packet!, frames[2]);
    }

    private (List<byte[]> Envelope, ZhttpPacket Packet, byte[] Raw) Expect()
    {
        var r = Receive(TimeSpan.FromSeconds(10));
        Assert.That(r, Is.Not.Null, "expected a req-mode packet");
        return r!.Value;
    }

    private void Reply(List<byte[]> envelope, ZhttpPacket packet)
    {
        var msg = new NetMQMessage();
        foreach (var f in envelope)
        {
            msg.Append(f);
        }
        msg.Append(ZhttpCodec.Encode(packet));
        _router.SendMultipartMessage(msg);
    }

    [Test]
    public async Task Get_is_one_packet_without_seq_credits_or_from_and_the_one_response_gets_a_content_length()
    {
        using var client = await ConnectAsync();
        await client.SendAsync("GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Test: 1\r\n\r\n");
        var (envelope, p, raw) = Expect();
        Assert.Multiple(() =>
        {
            Assert.That(p.From, Is.Null);
            Assert.That(p.Seq, Is.EqualTo(-1));
            Assert.That(p.Credits, Is.EqualTo(-1));
            Assert.That(p.Stream, Is.False);
            Assert.That(p.RouterResp, Is.False);
            Assert.That(p.More, Is.False);
            Assert.That(p.Multi, Is.True);
            Assert.That(p.Method, Is.EqualTo("GET"));
            Assert.That(p.Uri, Is.EqualTo("http://example.com/hello?x=1"));
            Assert.That(p.Headers, Is.EqualTo(new[] { new HttpHeader("Host", "example.com"), new HttpHeader("X-Test", "1") }));
            Assert.That(p.PeerAddress, Is.EqualTo("127.0.0.1"));
            Assert.That(p.PeerPort, Is.EqualTo(client.LocalPort));
            // condure 1.9's field order: id, ext, method, uri, headers, [body,] peer-address, peer-port.
            Assert.That(Encoding.Latin1.GetString(raw), Does.Match(@"^T\d+:2:id,\d+:[^,]+,3:ext,15:5:multi,4:true!}6:method,3:GET,3:uri,"));
        });
        Reply(envelope, new ZhttpPacket
        {
            Id = p.Id,
            Code = 200,
            Reason = "OK",
            Headers = [new HttpHeader("Content-Type", "text/plain")],
            Body = "hello\n"u8.ToArray(),
            // Ignored: one packet is the whole response in req mode.
            More = true,
        });
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n"));
    }

    [Test]
    public async Task Content_length_and_chunked_bodies_go_out_whole_in_the_request_packet()
    {
        using var client = await ConnectAsync();
        await client.SendAsync("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789");
        var (e1, p1, _) = Expect();
        Assert.That((Encoding.Latin1.GetString(p1.Body.Span), p1.More), Is.EqualTo(("0123456789", false)));
        Reply(e1, new ZhttpPacket { Id = p1.Id, Code = 201, Reason = "Created" });
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));

        // Same connection, chunked, and a pipelined request behind it.
        await client.SendAsync("POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n");
        var (e2, p2, _) = Expect();
        Assert.That((p2.Uri, Encoding.Latin1.GetString(p2.Body.Span)), Is.EqualTo(("http://h/b", "hello world")));
        Assert.That(p2.Id, Is.Not.EqualTo(p1.Id));
        Reply(e2, new ZhttpPacket { Id = p2.Id, Code = 200, Reason = "OK", Body = "b"u8.ToArray() });
        var (e3, p3, _) = Expect();
        Assert.That((p3.Uri, p3.Body.Length), Is.EqualTo(("http://h/c", 0)));
        Reply(e3, new ZhttpPacket { Id = p3.Id, Code = 200, Reason = "OK", Body = "c"u8.ToArray() });
        Assert.That(await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\nc", StringComparison.Ordinal)), Is.EqualTo(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nbHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc"));
    }

    [Test]
    public async Task Non_data_packets_are_skipped_and_an_error_becomes_502()
    {
        using var client = await ConnectAsync();
        await client.SendAsync("GET /e HTTP/1.1\r\nHost: h\r\n\r\n");
        var (envelope, p, _) = Expect();
        Reply(envelope, new ZhttpPacket { Id = p.Id, Type = ZhttpPacketType.KeepAlive });
        Reply(envelope, new ZhttpPacket { Id = "0-999-1", Code = 200, Reason = "OK" });
        Reply(envelope, new ZhttpPacket { Id = p.Id, Type = ZhttpPacketType.Error, Condition = "bad-request" });
        var text = await client.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 502 Bad Gateway\r\n"));
    }

    [Test]
    public async Task WebSocket_upgrade_is_refused_with_400_as_upstream()
    {
        using var client = await ConnectAsync();
        await client.SendAsync("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        var text = await client.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 400 Bad Request\r\n").And.Contain("WebSockets not supported on req mode interface."));
        Assert.That(Receive(TimeSpan.FromMilliseconds(300)), Is.Null, "nothing may reach the responder");
    }

    [TestCase("Content-Length: 1001\r\n\r\n")]
    [TestCase("Transfer-Encoding: chunked\r\n\r\n3e9\r\n")]
    public async Task Body_over_the_body_buffer_size_gets_413(string framing)
    {
        using var client = await ConnectAsync();
        await client.SendAsync($"POST /big HTTP/1.1\r\nHost: h\r\n{framing}" + new string('a', 1001) + "\r\n0\r\n\r\n");
        var text = await client.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 413 "));
        Assert.That(Receive(TimeSpan.FromMilliseconds(300)), Is.Null, "nothing may reach the responder");
    }

    [Test]
    public async Task Unanswered_request_gets_504_at_the_req_timeout()
    {
        using var client = await ConnectAsync();
        var started = Environment.TickCount64;
        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
        Expect();
        var text = await client.ReadToEndAsync(TimeSpan.FromSeconds(10));
        var elapsed = Environment.TickCount64 - started;
        Assert.That(text, Does.StartWith("HTTP/1.1 504 "));
        Assert.That(elapsed, Is.InRange(1_800, 6_000), "the 2 s req timeout, on the 100 ms sweep");
    }
}
