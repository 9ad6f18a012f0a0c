using Microsoft.AspNetCore.Builder;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Client;

/// <summary>
/// The zhttp request's own limits in client mode, as zurl: <c>max-size</c> (response body bytes;
/// beyond → <c>max-size-exceeded</c>) and <c>timeout</c> (ms for the whole exchange; beyond →
/// <c>session-timeout</c>). Backends answer with exact bytes from raw sockets.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ClientModeLimitsTests
{
    private TestBackend _probe = null!;

    [SetUp]
    public async Task SetUp() => _probe = await TestBackend.StartAsync(app => app.MapGet("/probe", () => "ok"));

    [TearDown]
    public async Task TearDown() => await _probe.DisposeAsync();

    private static ScriptedBackend Answering(string response, bool hold = false) => new(async (_, socket, ct) =>
    {
        await ScriptedBackend.ReadHeadAsync(socket, ct);
        await ScriptedBackend.SendAsync(socket, response, ct);
        if (hold)
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
    });

    private static ZhttpPacket Get(ClientHarness h, int port, int maxSize = -1, int timeout = -1)
    {
        var request = h.Request("GET", $"http://127.0.0.1:{port}/", ignorePolicies: true);
        request.MaxSize = maxSize;
        request.Timeout = timeout;
        return request;
    }

    [Test]
    public async Task Content_length_over_max_size_is_max_size_exceeded_before_any_response()
    {
        await using var backend = Answering("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + new string('a', 100));
        await using var h = await ClientHarness.StartAsync(_probe);
        var packets = await h.CollectAsync(h.Begin(Get(h, backend.Port, maxSize: 99)));
        var content = packets.Where(p => p.Type is not (ZhttpPacketType.Credit or ZhttpPacketType.KeepAlive)).ToList();
        Assert.That(content, Has.Count.EqualTo(1), string.Join("\n", content));
        Assert.That((content[0].Type, content[0].Condition), Is.EqualTo((ZhttpPacketType.Error, "max-size-exceeded")));
    }

    [Test]
    public async Task Response_exactly_at_max_size_is_relayed_whole()
    {
        await using var backend = Answering("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + new string('a', 100));
        await using var h = await ClientHarness.StartAsync(_probe);
        var packets = await h.CollectAsync(h.Begin(Get(h, backend.Port, maxSize: 100)));
        Assert.That(packets[^1].Type, Is.EqualTo(ZhttpPacketType.Data), packets[^1].ToString());
        Assert.That(ClientHarness.Body(packets), Is.EqualTo(new string('a', 100)));
    }

    [Test]
    public async Task Chunked_body_growing_past_max_size_ends_with_max_size_exceeded()
    {
        // 3 chunks of 40 bytes against max-size 100: the head and the first bytes go out, then the error.
        var chunk = "28\r\n" + new string('b', 40) + "\r\n";
        await using var backend = Answering("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk + chunk + "0\r\n\r\n");
        await using var h = await ClientHarness.StartAsync(_probe);
        var packets = await h.CollectAsync(h.Begin(Get(h, backend.Port, maxSize: 100)));
        Assert.That(packets[0].Code, Is.EqualTo(200), packets[0].ToString());
        Assert.That((packets[^1].Type, packets[^1].Condition), Is.EqualTo((ZhttpPacketType.Error, "max-size-exceeded")));
        Assert.That(ClientHarness.Body(packets).Length, Is.LessThanOrEqualTo(100));
    }

    [Test]
    public async Task Close_delimited_body_past_max_size_ends_with_max_size_exceeded()
    {
        await using var backend = Answering("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + new string('c', 300), hold: true);
        await using var h = await ClientHarness.StartAsync(_probe);
        var packets = await h.CollectAsync(h.Begin(Get(h, backend.Port, maxSize: 200)));
        Assert.That((packets[^1].Type, packets[^1].Condition), Is.EqualTo((ZhttpPacketType.Error, "max-size-exceeded")));
    }

    [Test]
    public async Task Without_max_size_a_large_body_is_relayed()
    {
        await using var backend = Answering("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + new string('d', 5000));
        await using var h = await ClientHarness.StartAsync(_probe);
        var packets = await h.CollectAsync(h.Begin(Get(h, backend.Port)));
        Assert.That(ClientHarness.Body(packets), Has.Length.EqualTo(5000));
    }

    [Test]
    public async Task Timeout_ends_an_unanswered_request_with_session_timeout()
    {
        await using var backend = new ScriptedBackend(async (_, socket, ct) =>
        {
            await ScriptedBackend.ReadHeadAsync(socket, ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var h = await ClientHarness.StartAsync(_probe);
        var started = Environment.TickCount64;
        var packets = await h.CollectAsync(h.Begin(Get(h, backend.Port, timeout: 600)));
        var elapsed = Environment.TickCount64 - started;
        Assert.That((packets[^1].Type, packets[^1].Condition), Is.EqualTo((ZhttpPacketType.Error, "session-timeout")));
        // The stream timeout (1800 s) did not do it: the request's own 600 ms did.
        Assert.That(elapsed, Is.InRange(500, 5000));
    }

    [Test]
    public async Task Timeout_ends_a_response_stuck_in_its_body_with_session_timeout()
    {
        await using var backend = Answering("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", hold: true);
        await using var h = await ClientHarness.StartAsync(_probe);
        var packets = await h.CollectAsync(h.Begin(Get(h, backend.Port, timeout: 600)));
        Assert.That(packets[0].Code, Is.EqualTo(200), packets[0].ToString());
        Assert.That((packets[^1].Type, packets[^1].Condition), Is.EqualTo((ZhttpPacketType.Error, "session-timeout")));
    }

    [Test]
    public async Task Request_done_within_its_timeout_is_not_cut()
    {
        await using var backend = Answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        await using var h = await ClientHarness.StartAsync(_probe);
        var packets = await h.CollectAsync(h.Begin(Get(h, backend.Port, timeout: 5000)));
        Assert.That(ClientHarness.Body(packets), Is.EqualTo("ok"));
        Assert.That(packets.Any(p => p.Type == ZhttpPacketType.Error), Is.False);
    }
}
