using Pushpin.Common.Zhttp;
using Pushpin.Proxy.WebSockets;

namespace Pushpin.ProtocolTests.Proxy.WebSockets;

public sealed class WebSocketOverHttpRulesUnitTests
{
    private static HttpHeader[] H(params string[] pairs) =>
        Enumerable.Range(0, pairs.Length / 2).Select(i => new HttpHeader(pairs[2 * i], pairs[(2 * i) + 1])).ToArray();

    [TestCase(200, "application/websocket-events", true)]
    [TestCase(200, "application/websocket-events; charset=utf-8", false)]
    [TestCase(200, "application/json", false)]
    [TestCase(201, "application/websocket-events", false)]
    public void Only_200_with_the_exact_content_type_carries_events(int status, string contentType, bool expected) =>
        Assert.That(WebSocketOverHttpRules.IsEventsResponse(status, H("content-type", contentType)), Is.EqualTo(expected));

    [TestCase("5", 20)]
    [TestCase("20", 20)]
    [TestCase("90", 90)]
    [TestCase("0", -1)]
    [TestCase("-3", -1)]
    [TestCase("abc", -1)]
    public void Keep_alive_interval_is_at_least_20_and_invalid_values_disable_it(string value, int expected) =>
        Assert.That(WebSocketOverHttpRules.ApplyKeepAliveInterval(H("Keep-Alive-Interval", value), 45), Is.EqualTo(expected));

    [Test]
    public void Absent_keep_alive_interval_keeps_the_last_value() =>
        Assert.That(WebSocketOverHttpRules.ApplyKeepAliveInterval(H("Content-Type", "x"), 45), Is.EqualTo(45));

    [Test]
    public void Set_meta_sets_replaces_and_empty_deletes()
    {
        var meta = new List<HttpHeader>();
        WebSocketOverHttpRules.ApplySetMeta(H("Set-Meta-User", "alice", "set-meta-room", "1", "Set-Meta-", "ignored"), meta);
        Assert.That(meta, Is.EqualTo(H("User", "alice", "room", "1")));
        WebSocketOverHttpRules.ApplySetMeta(H("SET-META-user", "bob", "Set-Meta-Room", string.Empty), meta);
        Assert.That(meta, Is.EqualTo(H("user", "bob")));
        var headers = WebSocketOverHttpRules.RequestHeaders("cid-1", 7, 0, meta);
        Assert.That(headers, Is.EqualTo(H(
            "Accept", "application/websocket-events",
            "Connection-Id", "cid-1",
            "Content-Type", "application/websocket-events",
            "Content-Length", "7",
            "Meta-user", "bob")));
    }

    [Test]
    public void Replayed_bytes_are_announced()
    {
        var headers = WebSocketOverHttpRules.RequestHeaders("c", 10, 4, []);
        Assert.That(headers, Does.Contain(new HttpHeader("Content-Bytes-Replayed", "4")));
    }

    [Test]
    public void Client_handshake_headers_lose_the_ones_woh_owns()
    {
        var result = WebSocketOverHttpRules.SanitizeRequestHeaders(H(
            "Host", "example.com", "Upgrade", "websocket", "Connection", "Upgrade", "Accept", "*/*",
            "Connection-Id", "spoof", "Content-Length", "0", "Meta-User", "spoof", "Sec-WebSocket-Key", "k",
            "Sec-WebSocket-Version", "13", "Sec-WebSocket-Protocol", "chat"));
        Assert.That(result, Is.EqualTo(H("Host", "example.com", "Sec-WebSocket-Key", "k", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Protocol", "chat")));
    }

    [Test]
    public void Open_response_headers_for_the_client_lose_woh_private_headers()
    {
        var result = WebSocketOverHttpRules.StripOpenResponseHeaders(H(
            "Content-Type", "application/websocket-events", "Content-Length", "6", "Keep-Alive-Interval", "30",
            "Set-Meta-User", "a", "Sec-WebSocket-Extensions", "grip", "Sec-WebSocket-Protocol", "chat", "X-Other", "1"));
        Assert.That(result, Is.EqualTo(H("Sec-WebSocket-Protocol", "chat", "X-Other", "1")));
    }

    [Test]
    public void Open_response_must_start_with_open_or_set_keep_alive()
    {
        WebSocketEventCodec.TryDecodeAll("OPEN\r\nTEXT 1\r\nx\r\n"u8.ToArray(), out var good, out _);
        WebSocketEventCodec.TryDecodeAll("TEXT 1\r\nx\r\n"u8.ToArray(), out var bad, out _);
        Assert.That(WebSocketOverHttpRules.IsValidOpenResponse(good, -1, out _), Is.True);
        Assert.That(WebSocketOverHttpRules.IsValidOpenResponse(bad, 30, out var error), Is.False);
        Assert.That(error, Is.EqualTo("OPEN response does not start with OPEN"));
        Assert.That(WebSocketOverHttpRules.IsValidOpenResponse([], 30, out _), Is.True);
        Assert.That(WebSocketOverHttpRules.IsValidOpenResponse([], -1, out _), Is.False);
    }

    [Test]
    public void Without_content_bytes_accepted_everything_is_accepted()
    {
        Assert.That(WebSocketOverHttpRules.TryEvaluateContentBytesAccepted([], 10, 5, true, out var a, out _), Is.True);
        Assert.That(a, Is.EqualTo(new ContentAcceptance(10, 0, true)));
    }

    [Test]
    public void Partial_acceptance_replays_the_rest_and_holds_back_the_close()
    {
        Assert.That(WebSocketOverHttpRules.TryEvaluateContentBytesAccepted(H("Content-Bytes-Accepted", "4"), 10, 5, true, out var a, out _), Is.True);
        Assert.That(a, Is.EqualTo(new ContentAcceptance(4, 6, false)));
    }

    [Test]
    public void Accepting_more_than_offered_is_an_error()
    {
        Assert.That(WebSocketOverHttpRules.TryEvaluateContentBytesAccepted(H("Content-Bytes-Accepted", "11"), 10, 0, false, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("more than"));
    }

    [Test]
    public void Accepting_all_content_but_not_the_close_is_an_error()
    {
        Assert.That(WebSocketOverHttpRules.TryEvaluateContentBytesAccepted(H("Content-Bytes-Accepted", "12"), 10, 5, true, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("close"));
    }

    [Test]
    public void Unparsable_content_bytes_accepted_means_all()
    {
        Assert.That(WebSocketOverHttpRules.TryEvaluateContentBytesAccepted(H("Content-Bytes-Accepted", "x"), 10, 0, false, out var a, out _), Is.True);
        Assert.That(a, Is.EqualTo(new ContentAcceptance(10, 0, false)));
    }
}
