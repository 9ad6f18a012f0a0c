using Microsoft.AspNetCore.Builder;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Client;

/// <summary>Client-mode sessions on the timer wheel: keep-alives and expiry still happen, ticks visit only due sessions.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ClientSessionTimerTests
{
    private TestBackend _probe = null!;

    [SetUp]
    public async Task SetUp() => _probe = await TestBackend.StartAsync(app => app.MapGet("/probe", () => "ok"));

    [TearDown]
    public async Task TearDown() => await _probe.DisposeAsync();

    private static ScriptedBackend Silent() => new(async (_, socket, ct) =>
    {
        await ScriptedBackend.ReadHeadAsync(socket, ct);
        await Task.Delay(Timeout.Infinite, ct);
    });

    [Test]
    public async Task Keep_alives_are_sent_while_the_backend_is_slow()
    {
        await using var backend = Silent();
        await using var h = await ClientHarness.StartAsync(_probe, configure: o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(400) });
        var id = h.Begin(h.Request("GET", $"http://127.0.0.1:{backend.Port}/", ignorePolicies: true));
        var keepAlives = 0;
        var lastSeq = -1;
        while (keepAlives < 3)
        {
            var p = await h.NextAsync(id);
            Assert.That(p.Seq, Is.GreaterThan(lastSeq));
            lastSeq = p.Seq;
            if (p.Type == ZhttpPacketType.KeepAlive)
            {
                keepAlives++;
                // Answer in kind, so the session does not expire on our side.
                h.Continue(id, keepAlives, new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });
            }
        }
        Assert.That(h.Client.SessionCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Keep_alives_of_one_requester_share_multi_id_packets()
    {
        await using var backend = Silent();
        await using var h = await ClientHarness.StartAsync(_probe, configure: o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(600) });
        var a = h.Begin(h.Request("GET", $"http://127.0.0.1:{backend.Port}/a", ignorePolicies: true));
        var b = h.Begin(h.Request("GET", $"http://127.0.0.1:{backend.Port}/b", ignorePolicies: true));
        // Deadlines sit on a grid of half intervals: by the second round at the latest both fall on the same tick.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var nextSeq = new Dictionary<string, int> { [a] = 0, [b] = 0 };
        while (true)
        {
            var p = await h.Requester.Incoming.ReadAsync(cts.Token);
            var refs = p.Ids ?? (p.Id is null ? [] : [new ZhttpSessionRef(p.Id, p.Seq)]);
            foreach (var r in refs.Where(r => nextSeq.ContainsKey(r.Id)))
            {
                // Sequence numbers stay gapless per session across single and batched packets.
                Assert.That(r.Seq, Is.EqualTo(nextSeq[r.Id]), p.ToString());
                nextSeq[r.Id]++;
            }
            if (p.Ids is { Count: 2 } ids)
            {
                Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.KeepAlive));
                Assert.That(p.Multi, Is.True);
                Assert.That(ids.Select(r => r.Id), Is.EquivalentTo(new[] { a, b }));
                break;
            }
        }
    }

    [Test]
    public async Task Session_the_requester_stops_talking_to_expires()
    {
        await using var backend = Silent();
        await using var h = await ClientHarness.StartAsync(_probe, configure: o => o with { SessionTimeout = TimeSpan.FromMilliseconds(700) });
        h.Begin(h.Request("GET", $"http://127.0.0.1:{backend.Port}/", ignorePolicies: true));
        await Eventually.TrueAsync(() => h.Client.SessionCount == 1, "the session to start");
        await Eventually.TrueAsync(() => h.Client.SessionCount == 0, "the silent session to expire", TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task Held_sessions_are_visited_only_when_something_is_due()
    {
        const int sessions = 50;
        await using var backend = Silent();
        // 100 ms ticks, 10 s keep-alive (first due 5–10 s in): a sweep of every session would make ~50 × 25 visits in 2.5 s.
        await using var h = await ClientHarness.StartAsync(_probe, configure: o => o with { KeepAliveInterval = TimeSpan.FromSeconds(10) });
        for (var i = 0; i < sessions; i++)
        {
            h.Begin(h.Request("GET", $"http://127.0.0.1:{backend.Port}/{i}", ignorePolicies: true));
        }
        await Eventually.TrueAsync(() => h.Client.SessionCount == sessions, "the sessions to start");
        var before = h.Client.Visited;
        await Task.Delay(2500);
        var visited = h.Client.Visited - before;
        Assert.That(visited, Is.LessThan(sessions), $"{visited} visits");
        Assert.That(h.Client.SessionCount, Is.EqualTo(sessions));
    }
}
