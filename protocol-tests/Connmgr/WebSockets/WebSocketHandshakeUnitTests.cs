using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

public sealed class WebSocketHandshakeUnitTests
{
    private static List<HttpHeader> Good() =>
    [
        new("Host", "server.example.com"),
        new("Upgrade", "websocket"),
        new("Connection", "keep-alive, Upgrade"),
        new("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        new("Sec-WebSocket-Version", "13"),
    ];

    private static List<HttpHeader> With(string name, string? value)
    {
        var headers = Good();
        headers.RemoveAll(h => h.Is(name));
        if (value is not null)
        {
            headers.Add(new HttpHeader(name, value));
        }

        return headers;
    }

    [Test]
    public void Rfc_sample_key_gives_the_rfc_accept_value() =>
        Assert.That(WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="), Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));

    [Test]
    public void Valid_handshake_is_accepted_with_its_accept_value()
    {
        var result = WebSocketHandshake.Validate("GET", "1.1", Good());
        Assert.That(result.IsValid, Is.True);
        Assert.That(result.Status, Is.EqualTo(101));
        Assert.That(result.Accept, Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    }

    [Test]
    public void Header_names_and_tokens_are_case_insensitive()
    {
        List<HttpHeader> headers =
        [
            new("host", "h"),
            new("UPGRADE", "WebSocket"),
            new("connection", "upgrade"),
            new("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            new("sec-websocket-version", "13"),
        ];
        Assert.That(WebSocketHandshake.Validate("GET", "HTTP/1.1", headers).IsValid, Is.True);
        Assert.That(WebSocketHandshake.IsUpgradeRequest(headers), Is.True);
    }

    [Test]
    public void Plain_request_is_not_an_upgrade_request() =>
        Assert.That(WebSocketHandshake.IsUpgradeRequest([new HttpHeader("Host", "h"), new HttpHeader("Upgrade", "h2c")]), Is.False);

    [Test]
    public void Post_is_refused_with_405_and_allow_get()
    {
        var result = WebSocketHandshake.Validate("POST", "1.1", Good());
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Status, Is.EqualTo(405));
        Assert.That(result.Headers, Does.Contain(new HttpHeader("Allow", "GET")));
    }

    [Test]
    public void Http_1_0_is_a_bad_request() =>
        Assert.That(WebSocketHandshake.Validate("GET", "1.0", Good()).Status, Is.EqualTo(400));

    [TestCase("Host", null)]
    [TestCase("Upgrade", "h2c")]
    [TestCase("Connection", "keep-alive")]
    [TestCase("Connection", null)]
    [TestCase("Sec-WebSocket-Key", null)]
    [TestCase("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ")]
    [TestCase("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZXg=")]
    [TestCase("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!==")]
    [TestCase("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQéé")]
    public void Missing_or_malformed_header_is_a_bad_request(string name, string? value)
    {
        var result = WebSocketHandshake.Validate("GET", "1.1", With(name, value));
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Status, Is.EqualTo(400));
        Assert.That(result.Message, Is.EqualTo(WebSocketHandshakeResult.InvalidRequestBody));
        Assert.That(result.Detail, Is.Not.Empty);
    }

    [TestCase("Content-Length", "5")]
    [TestCase("Transfer-Encoding", "chunked")]
    public void Handshake_with_a_body_is_a_bad_request(string name, string value)
    {
        var headers = Good();
        headers.Add(new HttpHeader(name, value));
        Assert.That(WebSocketHandshake.Validate("GET", "1.1", headers).Status, Is.EqualTo(400));
    }

    [Test]
    public void Content_length_zero_is_allowed_as_upstream_does()
    {
        var headers = Good();
        headers.Add(new HttpHeader("Content-Length", "0"));
        Assert.That(WebSocketHandshake.Validate("GET", "1.1", headers).IsValid, Is.True);
    }

    [Test]
    public void Two_keys_are_a_bad_request()
    {
        var headers = Good();
        headers.Add(new HttpHeader("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="));
        Assert.That(WebSocketHandshake.Validate("GET", "1.1", headers).Status, Is.EqualTo(400));
    }

    [TestCase("8")]
    [TestCase("12")]
    [TestCase("13, 8")]
    [TestCase(null)]
    public void Other_versions_get_426_naming_version_13(string? version)
    {
        var result = WebSocketHandshake.Validate("GET", "1.1", With("Sec-WebSocket-Version", version));
        Assert.That(result.Status, Is.EqualTo(426));
        Assert.That(result.Reason, Is.EqualTo("Upgrade Required"));
        Assert.That(result.Headers, Does.Contain(new HttpHeader("Sec-WebSocket-Version", "13")));
    }

    [Test]
    public void Client_key_is_valid_and_its_accept_checks_out()
    {
        var key = WebSocketHandshake.NewClientKey();
        List<HttpHeader> headers = [.. Good().Where(h => !h.Is("Sec-WebSocket-Key")), new("Sec-WebSocket-Key", key)];
        Assert.That(WebSocketHandshake.Validate("GET", "1.1", headers).IsValid, Is.True);
        Assert.That(WebSocketHandshake.IsValidAccept(key, WebSocketHandshake.ComputeAccept(key)), Is.True);
        Assert.That(WebSocketHandshake.IsValidAccept(key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), Is.False);
        Assert.That(WebSocketHandshake.IsValidAccept(key, null), Is.False);
    }
}
