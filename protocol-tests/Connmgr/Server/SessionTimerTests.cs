using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>Session expiry and keep-alives run on a timer wheel: ticks touch only sessions that came due.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class SessionTimerTests
{
    private const int Sessions = 100;

    [Test]
    public async Task Pending_sessions_are_visited_only_when_their_keep_alive_is_due()
    {
        // 100 ms ticks and a 5 s keep-alive: a sweep over every session would visit each ~50 times per interval.
        await using var h = await ServerHarness.StartAsync(o => o with { KeepAliveInterval = TimeSpan.FromSeconds(5) });
        var clients = new List<TestClient>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < Sessions; i++)
            {
                var c = await h.ConnectAsync();
                clients.Add(c);
                await c.SendAsync($"GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n");
                var s = new ResponderSession(h.Responder, "resp1", await h.ExpectPacketAsync());
                s.Control(ZhttpPacketType.KeepAlive);
                ids.Add(s.Id);
            }
            var visitedBefore = h.Server.SessionTimers!.Visited;
            var started = Environment.TickCount64;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var packets = 0;
            while (seen.Count < Sessions)
            {
                var p = await h.ExpectPacketAsync();
                Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.KeepAlive));
                packets++;
                foreach (var id in p.Ids?.Select(r => r.Id) ?? [p.Id!])
                {
                    seen.Add(id);
                }
            }
            var elapsedTicks = (Environment.TickCount64 - started) / 100 + 1;
            var visited = h.Server.SessionTimers.Visited - visitedBefore;
            Assert.That(seen, Is.EquivalentTo(ids));
            // Each session's entry fires about once for its keep-alive (plus the probe's and re-arms), not once per tick.
            Assert.That(visited, Is.LessThan(3 * Sessions), $"{visited} visits over {elapsedTicks} ticks");
            Assert.That(elapsedTicks, Is.GreaterThan(5), "the keep-alives came after several ticks");
            // Batched per responder: far fewer packets than sessions.
            Assert.That(packets, Is.LessThan(Sessions / 4));
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
    public async Task Keep_alives_keep_coming_every_interval_until_the_response()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(400) });
        using var client = await h.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(h.Responder, "resp1", await h.ExpectPacketAsync());
        s.Control(ZhttpPacketType.KeepAlive);
        var last = Environment.TickCount64;
        for (var seq = 1; seq <= 4; seq++)
        {
            var k = await h.ExpectPacketAsync();
            var now = Environment.TickCount64;
            Assert.That((k.Type, k.Seq), Is.EqualTo((ZhttpPacketType.KeepAlive, seq)));
            Assert.That(now - last, Is.GreaterThanOrEqualTo(300), "not before the interval");
            last = now;
        }
        s.Respond(200, "OK", [], "x", more: false);
        Assert.That(await client.ReadResponseAsync(), Does.EndWith("\r\n\r\nx"));
    }

    [Test]
    public async Task Session_kept_alive_by_the_responder_does_not_expire_and_a_silent_one_does()
    {
        await using var h = await ServerHarness.StartAsync(o => o with { SessionTimeout = TimeSpan.FromMilliseconds(800) });
        using var kept = await h.ConnectAsync();
        await kept.SendAsync("GET /kept HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(h.Responder, "resp1", await h.ExpectPacketAsync());
        using var silent = await h.ConnectAsync();
        await silent.SendAsync("GET /silent HTTP/1.1\r\nHost: a\r\n\r\n");
        var silentPacket = await h.ExpectPacketAsync();
        var silentSession = new ResponderSession(h.Responder, "resp1", silentPacket);
        silentSession.Control(ZhttpPacketType.KeepAlive);
        var deadline = Environment.TickCount64 + 2000;
        while (Environment.TickCount64 < deadline)
        {
            s.Control(ZhttpPacketType.KeepAlive);
            await Task.Delay(200);
        }
        Assert.That(await silent.ReadToEndAsync(), Does.StartWith("HTTP/1.1 504 "));
        s.Respond(200, "OK", [], "alive", more: false);
        Assert.That(await kept.ReadResponseAsync(), Does.EndWith("\r\n\r\nalive"));
    }
}
