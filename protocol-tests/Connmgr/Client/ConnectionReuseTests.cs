using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Client;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Client;

/// <summary>Keep-alive connection reuse per target, response framings, and the client-mode timeouts.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ConnectionReuseTests
{
    private TestBackend _backend = null!;
    private readonly List<string> _connectionIds = [];

    [SetUp]
    public async Task SetUp()
    {
        lock (_connectionIds)
        {
            _connectionIds.Clear();
        }
        _backend = await TestBackend.StartAsync(app =>
        {
            app.MapGet("/probe", () => "ok");
            app.MapGet("/conn", (HttpContext c) =>
            {
                lock (_connectionIds)
                {
                    _connectionIds.Add(c.Connection.Id);
                }
                return "conn";
            });
            app.MapGet("/chunked", async (HttpContext c) =>
            {
                lock (_connectionIds)
                {
                    _connectionIds.Add(c.Connection.Id);
                }
                await c.Response.WriteAsync("part1,");
                await c.Response.Body.FlushAsync();
                await c.Response.WriteAsync("part2");
            });
        });
    }

    [TearDown]
    public async Task TearDown() => await _backend.DisposeAsync();

    /// <summary>The pool key of plain http://127.0.0.1:PORT requests with <c>ignore-policies</c>.</summary>
    private static PoolKey PlainKey(int port) => new("127.0.0.1", port, null, false, null, true);

    private static async Task<List<ZhttpPacket>> GetAsync(ClientHarness h, string uri) =>
        await h.CollectAsync(h.Begin(h.Request("GET", uri, ignorePolicies: true)));

    [Test]
    public async Task Sequential_requests_to_one_target_share_a_kept_alive_connection()
    {
        await using var h = await ClientHarness.StartAsync(_backend);
        for (var i = 0; i < 3; i++)
        {
            var packets = await GetAsync(h, $"http://127.0.0.1:{_backend.Port}/conn");
            Assert.That(ClientHarness.Body(packets), Is.EqualTo("conn"));
            await Eventually.TrueAsync(() => h.Client.SessionCount == 0, "the session to end");
        }
        lock (_connectionIds)
        {
            Assert.That(_connectionIds, Has.Count.EqualTo(3));
            Assert.That(_connectionIds.Distinct().Count(), Is.EqualTo(1), string.Join(",", _connectionIds));
        }
        Assert.That(h.Client.Pool.IdleCountFor(PlainKey(_backend.Port)), Is.EqualTo(1));
        Assert.That(_backend.LastRequest.Headers.ContainsKey("Connection"), Is.False, "HTTP/1.1 keep-alive is the default");
    }

    [Test]
    public async Task Chunked_response_is_relayed_and_its_connection_kept()
    {
        await using var h = await ClientHarness.StartAsync(_backend);
        var packets = await GetAsync(h, $"http://127.0.0.1:{_backend.Port}/chunked");
        Assert.That(packets[0].Code, Is.EqualTo(200));
        Assert.That(packets[0].GetHeader("Transfer-Encoding"), Is.Null, "framing is per hop");
        Assert.That(ClientHarness.Body(packets), Is.EqualTo("part1,part2"));
        await Eventually.TrueAsync(() => h.Client.SessionCount == 0, "the session to end");
        // The pool hands out its newest connection first: the one the chunked response came on.
        await GetAsync(h, $"http://127.0.0.1:{_backend.Port}/conn");
        lock (_connectionIds)
        {
            Assert.That(_connectionIds, Has.Count.EqualTo(2));
            Assert.That(_connectionIds[1], Is.EqualTo(_connectionIds[0]));
        }
    }

    [Test]
    public async Task Without_pooling_every_request_asks_to_close()
    {
        await using var h = await ClientHarness.StartAsync(_backend, configure: o => o with { PoolMaxIdlePerTarget = 0 });
        await GetAsync(h, $"http://127.0.0.1:{_backend.Port}/conn");
        await GetAsync(h, $"http://127.0.0.1:{_backend.Port}/conn");
        lock (_connectionIds)
        {
            Assert.That(_connectionIds.Distinct().Count(), Is.EqualTo(2));
        }
        Assert.That(_backend.LastRequest.Headers["Connection"], Is.EqualTo("close"));
    }

    [Test]
    public async Task Idle_connections_are_closed_after_the_pool_timeout()
    {
        await using var h = await ClientHarness.StartAsync(_backend, configure: o => o with { PoolIdleTimeout = TimeSpan.FromMilliseconds(300) });
        await GetAsync(h, $"http://127.0.0.1:{_backend.Port}/conn");
        await Eventually.TrueAsync(() => h.Client.Pool.IdleCount == 0, "the idle connections to be closed", TimeSpan.FromSeconds(10));
        await GetAsync(h, $"http://127.0.0.1:{_backend.Port}/conn");
        lock (_connectionIds)
        {
            Assert.That(_connectionIds.Distinct().Count(), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task Kept_connection_dropped_by_the_backend_is_retried_once_for_a_get()
    {
        // Connection 0 answers one request with keep-alive, then closes when the next one arrives.
        await using var backend = new ScriptedBackend(async (index, socket, ct) =>
        {
            var served = 0;
            while (await ScriptedBackend.ReadHeadAsync(socket, ct) is not null)
            {
                if (index == 0 && served++ > 0)
                {
                    socket.Close();
                    return;
                }
                await ScriptedBackend.SendAsync(socket, $"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nc{index}", ct);
            }
        });
        await using var h = await ClientHarness.StartAsync(_backend);
        var first = await GetAsync(h, $"http://127.0.0.1:{backend.Port}/");
        Assert.That(ClientHarness.Body(first), Is.EqualTo("c0"));
        await Eventually.TrueAsync(() => h.Client.SessionCount == 0, "the first session to end");
        var second = await GetAsync(h, $"http://127.0.0.1:{backend.Port}/");
        Assert.That(second[0].Type, Is.EqualTo(ZhttpPacketType.Data), second[0].ToString());
        Assert.That(ClientHarness.Body(second), Is.EqualTo("c1"));
        Assert.That(backend.Accepted, Is.EqualTo(2));
    }

    [Test]
    public async Task Kept_connection_dropped_by_the_backend_is_not_retried_for_a_post()
    {
        await using var backend = new ScriptedBackend(async (index, socket, ct) =>
        {
            var served = 0;
            while (await ScriptedBackend.ReadHeadAsync(socket, ct) is { } head)
            {
                if (served++ > 0)
                {
                    socket.Close();
                    return;
                }
                await ScriptedBackend.SendAsync(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ct);
            }
        });
        await using var h = await ClientHarness.StartAsync(_backend);
        await GetAsync(h, $"http://127.0.0.1:{backend.Port}/");
        await Eventually.TrueAsync(() => h.Client.SessionCount == 0, "the first session to end");
        var post = await h.CollectAsync(h.Begin(h.Request("POST", $"http://127.0.0.1:{backend.Port}/", body: "x", ignorePolicies: true)));
        Assert.That((post[0].Type, post[0].Condition), Is.EqualTo((ZhttpPacketType.Error, "remote-connection-failed")));
        Assert.That(backend.Accepted, Is.EqualTo(1));
    }

    [Test]
    public async Task Close_delimited_response_is_relayed_whole_and_not_kept()
    {
        await using var backend = new ScriptedBackend(async (_, socket, ct) =>
        {
            await ScriptedBackend.ReadHeadAsync(socket, ct);
            await ScriptedBackend.SendAsync(socket, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ", ct);
            await ScriptedBackend.SendAsync(socket, "the end", ct);
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var h = await ClientHarness.StartAsync(_backend);
        var packets = await GetAsync(h, $"http://127.0.0.1:{backend.Port}/");
        Assert.That(packets[0].Code, Is.EqualTo(200));
        Assert.That(ClientHarness.Body(packets), Is.EqualTo("until the end"));
        Assert.That(packets[^1].More, Is.False);
        await Eventually.TrueAsync(() => h.Client.SessionCount == 0, "the session to end");
        Assert.That(h.Client.Pool.IdleCountFor(PlainKey(backend.Port)), Is.Zero);
    }

    [Test]
    public async Task Silent_backend_is_connection_timeout()
    {
        await using var backend = new ScriptedBackend(async (_, socket, ct) =>
        {
            await ScriptedBackend.ReadHeadAsync(socket, ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var h = await ClientHarness.StartAsync(_backend, configure: o => o with { StreamTimeout = TimeSpan.FromSeconds(1) });
        var packets = await GetAsync(h, $"http://127.0.0.1:{backend.Port}/");
        Assert.That((packets[0].Type, packets[0].Condition), Is.EqualTo((ZhttpPacketType.Error, "connection-timeout")));
    }

    [Test]
    public async Task Tls_handshake_that_never_completes_is_connection_timeout()
    {
        // Accepts TCP, never answers the ClientHello.
        await using var backend = new ScriptedBackend((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        await using var h = await ClientHarness.StartAsync(_backend, configure: o => o with { ConnectTimeout = TimeSpan.FromSeconds(1) });
        var packets = await GetAsync(h, $"https://127.0.0.1:{backend.Port}/");
        Assert.That((packets[0].Type, packets[0].Condition), Is.EqualTo((ZhttpPacketType.Error, "connection-timeout")));
    }

    [Test]
    public async Task Different_targets_do_not_share_connections()
    {
        await using var other = await TestBackend.StartAsync(app => app.MapGet("/conn", (HttpContext c) => "other"));
        await using var h = await ClientHarness.StartAsync(_backend);
        Assert.That(ClientHarness.Body(await GetAsync(h, $"http://127.0.0.1:{_backend.Port}/conn")), Is.EqualTo("conn"));
        await Eventually.TrueAsync(() => h.Client.SessionCount == 0, "the session to end");
        Assert.That(ClientHarness.Body(await GetAsync(h, $"http://127.0.0.1:{other.Port}/conn")), Is.EqualTo("other"));
        Assert.That(ClientHarness.Body(await GetAsync(h, $"http://localhost:{_backend.Port}/conn")), Is.EqualTo("conn"));
    }
}
