using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>Limits and timers, with short settings so the tests stay fast.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class HttpServerTimeoutTests
{
    [Test]
    public async Task Slow_request_head_gets_408()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { HeaderTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n");
        var text = await client.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 408 Request Timeout\r\n"));
        Assert.That(text, Does.Contain("Connection: close\r\n"));
    }

    [Test]
    public async Task Idle_keep_alive_connection_is_not_timed_out_by_the_head_timer()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { HeaderTimeout = TimeSpan.FromMilliseconds(200) });
        using var client = await h.ConnectAsync();
        Assert.That(await client.IsClosedAsync(TimeSpan.FromMilliseconds(600)), Is.False);
        await client.SendAsync("GET /late HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.That((await h.ExpectPacketAsync()).Uri, Is.EqualTo("http://a/late"));
    }

    [Test]
    public async Task Idle_keep_alive_connection_is_closed_after_the_idle_timeout()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { IdleTimeout = TimeSpan.FromMilliseconds(700) });
        using var client = await h.ConnectAsync();
        await client.SendAsync("GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
        new ResponderSession(h.Responder, "resp1", await h.ExpectPacketAsync()).Respond(200, "OK", [], "1", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"));
        // Nothing written on close: the client just sees the end of the stream.
        Assert.That(await client.ReadToEndAsync(TimeSpan.FromSeconds(10)), Is.Empty);
        await Support.Eventually.TrueAsync(() => h.Server.ConnectionCount == 0, "the idle connection released");
    }

    [Test]
    public async Task Connection_that_never_sends_a_request_is_closed_after_the_idle_timeout()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        using var client = await h.ConnectAsync();
        Assert.That(await client.ReadToEndAsync(TimeSpan.FromSeconds(10)), Is.Empty);
    }

    [Test]
    public async Task Request_waiting_for_its_response_is_not_closed_by_the_idle_timeout()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await h.ConnectAsync();
        await client.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(h.Responder, "resp1", await h.ExpectPacketAsync());
        Assert.That(await client.IsClosedAsync(TimeSpan.FromMilliseconds(1200)), Is.False);
        s.Respond(200, "OK", [], "late", more: false);
        Assert.That(await client.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate"));
    }

    [Test]
    public async Task Connection_over_the_limit_gets_503()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { MaxConnections = 1 }, probe: false);
        using var first = await h.ConnectAsync();
        await ListenerSeesAsync(h, 1);
        using var second = await h.ConnectAsync();
        var text = await second.ReadToEndAsync();
        Assert.That(text, Does.StartWith("HTTP/1.1 503 Service Unavailable\r\n"));
        Assert.That(h.Server.ConnectionCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Silent_responder_session_expires_with_504_and_cancel()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { SessionTimeout = TimeSpan.FromMilliseconds(500) });
        using var client = await h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var p = await h.ExpectPacketAsync();
        var s = new ResponderSession(h.Responder, "resp1", p);
        s.Control(ZhttpPacketType.KeepAlive);
        Assert.That(await client.ReadToEndAsync(), Does.StartWith("HTTP/1.1 504 "));
        var cancel = await h.ExpectPacketAsync();
        Assert.That(cancel.Type, Is.EqualTo(ZhttpPacketType.Cancel));
    }

    [Test]
    public async Task Keep_alives_are_sent_while_a_response_is_pending()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(300) });
        using var client = await h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(h.Responder, "resp1", await h.ExpectPacketAsync());
        // Until the responder speaks, connmgr does not know where to send keep-alives.
        s.Control(ZhttpPacketType.KeepAlive);
        var k1 = await h.ExpectPacketAsync();
        var k2 = await h.ExpectPacketAsync();
        Assert.That((k1.Type, k1.Seq, k1.Multi), Is.EqualTo((ZhttpPacketType.KeepAlive, 1, true)));
        Assert.That((k2.Type, k2.Seq), Is.EqualTo((ZhttpPacketType.KeepAlive, 2)));
        s.Respond(200, "OK", [], "x", more: false);
        Assert.That(await client.ReadResponseAsync(), Does.EndWith("\r\n\r\nx"));
    }

    [Test]
    public async Task Keep_alives_of_one_responder_are_batched_into_one_multi_id_packet()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(600) });
        using var c1 = await h.ConnectAsync();
        using var c2 = await h.ConnectAsync();
        await c1.SendAsync("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
        var s1 = new ResponderSession(h.Responder, "resp1", await h.ExpectPacketAsync());
        await c2.SendAsync("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
        var s2 = new ResponderSession(h.Responder, "resp1", await h.ExpectPacketAsync());
        s1.Control(ZhttpPacketType.KeepAlive);
        s2.Control(ZhttpPacketType.KeepAlive);
        var k = await h.ExpectPacketAsync();
        Assert.That(k.Type, Is.EqualTo(ZhttpPacketType.KeepAlive));
        Assert.That(k.Ids, Is.EquivalentTo(new[] { new ZhttpSessionRef(s1.Id, 1), new ZhttpSessionRef(s2.Id, 1) }));
        Assert.That(k.Multi, Is.True);
    }

    [Test]
    public async Task Ipv6_listener_serves_requests_and_reports_the_peer()
    {
        var port = FreePortsV6();
        await using var h = await ServerHarness.StartAsync(o => o with
        {
            Listen = [.. o.Listen, Pushpin.Connmgr.Transport.ListenSpec.Parse($"[::1]:{port},stream")],
        });
        using var tcp = new System.Net.Sockets.TcpClient(System.Net.Sockets.AddressFamily.InterNetworkV6);
        await tcp.ConnectAsync(System.Net.IPAddress.IPv6Loopback, port);
        using var client = new TestClient(tcp);
        await client.SendAsync("GET /six HTTP/1.1\r\nHost: [::1]\r\n\r\n");
        var p = await h.ExpectPacketAsync();
        Assert.That((p.Uri, p.PeerAddress), Is.EqualTo(("http://[::1]/six", "::1")));
        new ResponderSession(h.Responder, "resp1", p).Respond(200, "OK", [], "6", more: false);
        Assert.That(await client.ReadResponseAsync(), Does.EndWith("\r\n\r\n6"));
    }

    private static int FreePortsV6()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.IPv6Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static Task ListenerSeesAsync(ServerHarness h, int count) =>
        Support.Eventually.TrueAsync(() => h.Server.ConnectionCount == count, $"{count} accepted connection(s)");
}
