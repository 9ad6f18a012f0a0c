using System.Text;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Connmgr.Server;

[TestFixture]
[CancelAfter(60_000)]
public sealed class HttpServerTests
{
    private ServerHarness _h = null!;

    [SetUp]
    public async Task SetUp() => _h = await ServerHarness.StartAsync();

    [TearDown]
    public async Task TearDown() => await _h.DisposeAsync();

    private static string Text(ReadOnlyMemory<byte> body) => Encoding.Latin1.GetString(body.Span);

    [Test]
    public async Task Get_becomes_an_initial_packet_and_the_response_bytes_are_exact()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET /hello?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nX-Test: 1\r\nx-test: 2\r\n\r\n");
        var p = await _h.ExpectPacketAsync();
        Assert.Multiple(() =>
        {
            Assert.That(p.From, Is.EqualTo("connmgr"));
            Assert.That(p.Seq, Is.Zero);
            Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Data));
            Assert.That(p.Method, Is.EqualTo("GET"));
            Assert.That(p.Uri, Is.EqualTo("http://example.com:8080/hello?x=1"));
            Assert.That(p.Headers, Is.EqualTo(new[] { new HttpHeader("Host", "example.com:8080"), new HttpHeader("X-Test", "1"), new HttpHeader("x-test", "2") }));
            Assert.That(p.Stream, Is.True);
            Assert.That(p.RouterResp, Is.True);
            Assert.That(p.Multi, Is.True);
            Assert.That(p.Credits, Is.EqualTo(8192));
            Assert.That(p.PeerAddress, Is.EqualTo("127.0.0.1"));
            Assert.That(p.PeerPort, Is.EqualTo(client.LocalPort));
            Assert.That(p.More, Is.False);
            Assert.That(p.Body.Length, Is.Zero);
        });
        new ResponderSession(_h.Responder, "resp1", p).Respond(200, "OK", [("Content-Type", "text/plain")], "hello\n", more: false);
        var response = await client.ReadResponseAsync();
        Assert.That(response, Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n"));
    }

    [Test]
    public async Task Post_body_is_sent_only_under_granted_credits()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789");
        var p = await _h.ExpectPacketAsync();
        Assert.That(p.More, Is.True);
        Assert.That(p.Body.Length, Is.Zero);
        var s = new ResponderSession(_h.Responder, "resp1", p);

        // No credits yet: nothing may come.
        Assert.That(await _h.NextPacketAsync(TimeSpan.FromMilliseconds(300)), Is.Null);

        s.Credit(4);
        var b1 = await _h.ExpectPacketAsync();
        Assert.That((b1.Seq, Text(b1.Body), b1.More), Is.EqualTo((1, "0123", true)));
        s.Credit(100);
        var b2 = await _h.ExpectPacketAsync();
        Assert.That((b2.Seq, Text(b2.Body), b2.More), Is.EqualTo((2, "456789", false)));

        s.Respond(201, "Created", [], "", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
    }

    [Test]
    public async Task Chunked_request_body_is_decoded_and_forwarded()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        var p = await _h.ExpectPacketAsync();
        Assert.That(p.More, Is.True);
        var s = new ResponderSession(_h.Responder, "resp1", p);
        s.Credit(1000);
        var body = new StringBuilder();
        var b = await _h.ExpectPacketAsync();
        body.Append(Text(b.Body));
        Assert.That(b.More, Is.True);
        await client.SendAsync("7;x=y\r\n, world\r\n0\r\nT: 1\r\n\r\n");
        while (b.More)
        {
            b = await _h.ExpectPacketAsync();
            body.Append(Text(b.Body));
        }
        Assert.That(body.ToString(), Is.EqualTo("hello, world"));
        s.Respond(200, "OK", [], "done", more: false);
        Assert.That(await client.ReadResponseAsync(), Does.EndWith("\r\n\r\ndone"));
    }

    [Test]
    public async Task Pipelined_requests_are_answered_in_order_on_one_connection()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
        var p1 = await _h.ExpectPacketAsync();
        Assert.That(p1.Uri, Is.EqualTo("http://a/1"));
        // The second request waits for the first response.
        Assert.That(await _h.NextPacketAsync(TimeSpan.FromMilliseconds(200)), Is.Null);
        new ResponderSession(_h.Responder, "resp1", p1).Respond(200, "OK", [], "one", more: false);
        var r1 = await client.ReadResponseAsync();
        var p2 = await _h.ExpectPacketAsync();
        Assert.That(p2.Uri, Is.EqualTo("http://a/2"));
        Assert.That(p2.Id, Is.Not.EqualTo(p1.Id));
        new ResponderSession(_h.Responder, "resp1", p2).Respond(200, "OK", [], "two", more: false);
        var r2 = await client.ReadResponseAsync();
        Assert.That(r1, Does.EndWith("one"));
        Assert.That(r2, Does.EndWith("two"));
    }

    [Test]
    public async Task Multi_packet_response_is_chunked_and_credits_flow_back()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Respond(200, "OK", [("Content-Type", "text/plain")], "part1\n", more: true);
        var head = await client.ReadUntilAsync(t => t.EndsWith("part1\n\r\n", StringComparison.Ordinal));
        Assert.That(head, Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n6\r\npart1\n\r\n"));
        var credit = await _h.ExpectPacketAsync();
        Assert.That((credit.Type, credit.Credits, credit.Seq), Is.EqualTo((ZhttpPacketType.Credit, 6, 1)));
        s.Body("part2\n", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("6\r\npart2\n\r\n0\r\n\r\n"));
    }

    [Test]
    public async Task Multi_id_data_packet_reaches_each_listed_connection_checked_against_its_own_seq()
    {
        using var c1 = await _h.ConnectAsync();
        using var c2 = await _h.ConnectAsync();
        using var c3 = await _h.ConnectAsync();
        var sessions = new List<ResponderSession>();
        foreach (var c in new[] { c1, c2, c3 })
        {
            await c.SendAsync("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
            var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
            s.Respond(200, "OK", [], "", more: true);
            await c.ReadUntilAsync(t => t.EndsWith("\r\n\r\n", StringComparison.Ordinal));
            sessions.Add(s);
        }
        // The second connection is one packet further along, so its entry carries a higher seq.
        sessions[1].Body("x", more: true);
        await c2.ReadUntilAsync(t => t.EndsWith("1\r\nx\r\n", StringComparison.Ordinal));
        // The third entry's seq is wrong: only that connection fails.
        _h.Responder.Send(sessions[0].Requester, new ZhttpPacket
        {
            From = "resp1",
            Ids = [new(sessions[0].Id, 1), new(sessions[1].Id, 2), new(sessions[2].Id, 5)],
            Body = "hi\n"u8.ToArray(),
            More = true,
            Multi = true,
        }, routerResp: true);
        Assert.That(await c1.ReadUntilAsync(t => t.EndsWith("3\r\nhi\n\r\n", StringComparison.Ordinal)), Does.EndWith("3\r\nhi\n\r\n"));
        Assert.That(await c2.ReadUntilAsync(t => t.EndsWith("3\r\nhi\n\r\n", StringComparison.Ordinal)), Does.EndWith("3\r\nhi\n\r\n"));
        Assert.That(await c3.ReadToEndAsync(), Does.Not.Contain("hi"), "a seq gap closes that connection without delivering");
        sessions[0].OutSeq = 2;
        sessions[1].OutSeq = 3;
        sessions[0].Body("a", more: false);
        sessions[1].Body("b", more: false);
        Assert.That(await c1.ReadResponseAsync(), Is.EqualTo("1\r\na\r\n0\r\n\r\n"));
        Assert.That(await c2.ReadResponseAsync(), Is.EqualTo("1\r\nb\r\n0\r\n\r\n"));
    }

    [Test]
    public async Task Credits_of_one_responder_go_back_as_one_multi_id_packet_when_a_fan_out_is_written()
    {
        var clients = new List<TestClient>();
        var sessions = new List<ResponderSession>();
        try
        {
            const int Sessions = 20;
            for (var i = 0; i < Sessions; i++)
            {
                var c = await _h.ConnectAsync();
                clients.Add(c);
                await c.SendAsync("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
                var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
                s.Respond(200, "OK", [], "", more: true);
                await c.ReadUntilAsync(t => t.EndsWith("\r\n\r\n", StringComparison.Ordinal));
                sessions.Add(s);
            }
            _h.Responder.Send(sessions[0].Requester, new ZhttpPacket
            {
                From = "resp1",
                Ids = sessions.Select(s => new ZhttpSessionRef(s.Id, 1)).ToList(),
                Body = "hello\n"u8.ToArray(),
                More = true,
                Multi = true,
            }, routerResp: true);
            foreach (var c in clients)
            {
                await c.ReadUntilAsync(t => t.EndsWith("6\r\nhello\n\r\n", StringComparison.Ordinal));
            }
            // Every session got 6 credits back, each with its own next seq, none lost or sent
            // twice; the grants of one burst share packets (how many depends on how the pool's
            // threads interleaved, but never one per session).
            var granted = new Dictionary<string, int>();
            var packets = 0;
            while (granted.Values.Sum() < Sessions * 6)
            {
                var p = await _h.ExpectPacketAsync();
                packets++;
                Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Credit));
                foreach (var (id, seq) in p.Ids?.Select(r => (r.Id, r.Seq)) ?? [(p.Id!, p.Seq)])
                {
                    Assert.That(seq, Is.EqualTo(1), id);
                    granted[id] = granted.GetValueOrDefault(id) + p.Credits;
                }
            }
            Assert.That(granted, Is.EquivalentTo(sessions.ToDictionary(s => s.Id, _ => 6)));
            Assert.That(packets, Is.LessThan(Sessions / 2));
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
    public async Task Responder_content_length_is_honored_over_several_packets()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Respond(200, "OK", [("Content-Length", "6")], "abc", more: true);
        s.Body("def", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef"));
    }

    [Test]
    public async Task Http10_streamed_response_is_close_delimited()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.0\r\n\r\n");
        var p = await _h.ExpectPacketAsync();
        Assert.That(p.Uri, Is.EqualTo($"http://127.0.0.1:{_h.HttpPort}/"));
        var s = new ResponderSession(_h.Responder, "resp1", p);
        s.Respond(200, "OK", [], "a", more: true);
        s.Body("b", more: false);
        Assert.That(await client.ReadToEndAsync(), Is.EqualTo("HTTP/1.0 200 OK\r\n\r\nab"));
    }

    [Test]
    public async Task Connection_close_request_gets_connection_close_and_a_close()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync()).Respond(200, "OK", [], "bye", more: false);
        Assert.That(await client.ReadToEndAsync(), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye"));
    }

    [Test]
    public async Task Http10_keep_alive_is_honored_when_the_length_is_known()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync()).Respond(200, "OK", [("Connection", "close")], "one", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\none"));
        await client.SendAsync("GET /b HTTP/1.0\r\n\r\n");
        new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync()).Respond(200, "OK", [], "two", more: false);
        Assert.That(await client.ReadToEndAsync(), Is.EqualTo("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\ntwo"));
    }

    [Test]
    public async Task Head_response_has_no_body()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Respond(200, "OK", [("Content-Length", "100")], "", more: false);
        Assert.That(await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\n", StringComparison.Ordinal)), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"));
        // Keep-alive still works after it.
        await client.SendAsync("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        var p2 = await _h.ExpectPacketAsync();
        Assert.That(p2.Uri, Is.EqualTo("http://a/next"));
    }

    [Test]
    public async Task Http10_request_gets_an_http10_status_line()
    {
        using var client = await _h.ConnectAsync();
        await client.SendRawAsync("GET /old HTTP/1.0\r\nHost: a\r\n\r\n"u8.ToArray());
        new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync()).Respond(200, "OK", [("Content-Type", "text/plain")], "hi", more: false);
        Assert.That(await client.ReadToEndAsync(), Is.EqualTo("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"));
    }

    [Test]
    public async Task Http10_request_refused_by_the_responder_gets_an_http10_error()
    {
        using var client = await _h.ConnectAsync();
        await client.SendRawAsync("GET /old HTTP/1.0\r\nHost: a\r\n\r\n"u8.ToArray());
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Send(new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "undefined-condition" });
        Assert.That(await client.ReadToEndAsync(), Does.StartWith("HTTP/1.0 502 Bad Gateway\r\n"));
    }

    [Test]
    public async Task Head_response_without_content_length_gets_the_body_length_and_no_body()
    {
        using var client = await _h.ConnectAsync();
        await client.SendRawAsync("HEAD /doc HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Respond(200, "OK", [("Content-Type", "text/plain")], "hello world", more: false);
        Assert.That(await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\n", StringComparison.Ordinal)), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"));
        // No body bytes follow: the next response starts right after the head.
        await client.SendRawAsync("GET /next HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync()).Respond(200, "OK", [], "n", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nn"));
    }

    [Test]
    public async Task Head_response_with_content_length_keeps_the_responders_value()
    {
        using var client = await _h.ConnectAsync();
        await client.SendRawAsync("HEAD /doc HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Respond(200, "OK", [("Content-Length", "42")], "", more: false);
        Assert.That(await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\n", StringComparison.Ordinal)), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n"));
        Assert.That(await client.IsClosedAsync(TimeSpan.FromMilliseconds(300)), Is.False);
    }

    [Test]
    public async Task Expect_continue_is_answered_when_the_responder_grants_credits()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("PUT /u HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Credit(10);
        Assert.That(await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\n", StringComparison.Ordinal)), Is.EqualTo("HTTP/1.1 100 Continue\r\n\r\n"));
        await client.SendAsync("abc");
        var b = await _h.ExpectPacketAsync();
        Assert.That((Text(b.Body), b.More), Is.EqualTo(("abc", false)));
        s.Respond(204, "No Content", [], "", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 204 No Content\r\n\r\n"));
    }

    [Test]
    public async Task Handoff_moves_the_session_to_the_next_sender()
    {
        var handler = _h.AddContinuingResponder("handler1");
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
        var p = await _h.ExpectPacketAsync();
        var proxy = new ResponderSession(_h.Responder, "resp1", p);
        proxy.Control(ZhttpPacketType.KeepAlive);
        proxy.Control(ZhttpPacketType.HandoffStart);
        var proceed = await _h.ExpectPacketAsync();
        Assert.That((proceed.Type, proceed.Seq), Is.EqualTo((ZhttpPacketType.HandoffProceed, 1)));

        // The handler continues both counters.
        var h = new ResponderSession(handler, "handler1", p, outSeq: proxy.OutSeq);
        // The requester learns the new address from this packet (the transport retries until the ROUTER link is up).
        h.Control(ZhttpPacketType.KeepAlive);
        h.Respond(200, "OK", [], "stream open\n", more: true);
        Assert.That(await client.ReadUntilAsync(t => t.EndsWith("stream open\n\r\n", StringComparison.Ordinal)), Does.StartWith("HTTP/1.1 200 OK"));
        var credit = await _h.ExpectPacketAsync(handler);
        Assert.That((credit.Type, credit.Credits, credit.Seq), Is.EqualTo((ZhttpPacketType.Credit, 12, 2)));
        h.Body("pushed\n", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("7\r\npushed\n\r\n0\r\n\r\n"));
    }

    [Test]
    public async Task Client_disconnect_sends_cancel()
    {
        var client = await _h.ConnectAsync();
        await client.SendAsync("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Respond(200, "OK", [], "x", more: true);
        await client.ReadUntilAsync(t => t.EndsWith("x\r\n", StringComparison.Ordinal));
        var credit = await _h.ExpectPacketAsync();
        Assert.That(credit.Type, Is.EqualTo(ZhttpPacketType.Credit));
        client.Dispose();
        var cancel = await _h.ExpectPacketAsync();
        Assert.That((cancel.Type, cancel.Id, cancel.Seq), Is.EqualTo((ZhttpPacketType.Cancel, s.Id, 2)));
    }

    [Test]
    public async Task Responder_error_before_the_response_becomes_502()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Send(new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "bad-request" });
        var text = await client.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 502 Bad Gateway\r\n"));
        Assert.That(text, Does.Contain("Connection: close\r\n"));
    }

    [Test]
    public async Task Responder_cancel_after_the_response_started_closes_the_connection()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Respond(200, "OK", [], "x", more: true);
        s.Control(ZhttpPacketType.Cancel);
        var text = await client.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 200 OK\r\n"));
        Assert.That(text, Does.Not.EndWith("0\r\n\r\n"));
    }

    [Test]
    public async Task Wrong_seq_from_the_responder_ends_the_session()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.OutSeq = 5;
        s.Respond(200, "OK", [], "x", more: false);
        Assert.That(await client.ReadToEndAsync(), Does.StartWith("HTTP/1.1 502 "));
    }

    [Test]
    public async Task Malformed_request_gets_400_with_connection_close_and_the_server_lives_on()
    {
        using (var bad = await _h.ConnectAsync())
        {
            await bad.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
            var text = await bad.ReadToEndAsync();
            Assert.That(text, Does.StartWith("HTTP/1.1 400 Bad Request\r\n"));
            Assert.That(text, Does.Contain("Connection: close\r\n"));
        }
        using var good = await _h.ConnectAsync();
        await good.SendAsync("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.That((await _h.ExpectPacketAsync()).Uri, Is.EqualTo("http://a/ok"));
    }

    [TestCase("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505)]
    [TestCase("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501)]
    [TestCase("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    public async Task Rejections_reach_the_client_with_their_status(string request, int status)
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync(request);
        Assert.That(await client.ReadToEndAsync(), Does.StartWith($"HTTP/1.1 {status} "));
    }

    [Test]
    public async Task Oversized_head_gets_431()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nX: " + new string('a', 9000) + "\r\n\r\n");
        Assert.That(await client.ReadToEndAsync(), Does.StartWith("HTTP/1.1 431 "));
    }

    [Test]
    public async Task Bad_chunk_size_after_the_head_gets_400()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Credit(100);
        Assert.That(await client.ReadToEndAsync(), Does.StartWith("HTTP/1.1 400 "));
        var cancel = await _h.ExpectPacketAsync();
        Assert.That(cancel.Type, Is.EqualTo(ZhttpPacketType.Cancel));
    }
}
