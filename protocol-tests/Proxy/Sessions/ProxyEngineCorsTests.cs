using System.Text;
using NUnit.Framework;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary>Auto cross-origin and JSON-P on proxied responses and on the proxy's own errors (behavior.md §11.1).</summary>
[CancelAfter(60_000)]
public sealed class ProxyEngineCorsTests
{
    [Test]
    public async Task Aco_route_adds_cors_headers_to_the_proxied_response()
    {
        await using var h = await ProxyHarness.StartAsync(["*,aco 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/x", Headers = [new("Origin", "http://app.example")] });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.EndsWith("/x", StringComparison.Ordinal));
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Content-Type", "text/plain"), new("X-Y", "1")], Body = "ok"u8.ToArray() }, 0);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(body, Is.EqualTo("ok"));
            Assert.That(first.GetHeader("Access-Control-Allow-Origin"), Is.EqualTo("http://app.example"));
            Assert.That(first.GetHeader("Access-Control-Expose-Headers"), Is.EqualTo("X-Y"));
        });
    }

    [Test]
    public async Task Global_auto_cross_origin_applies_to_errors_too()
    {
        await using var h = await ProxyHarness.StartAsync(["only.example test"], o => o with { AutoCrossOrigin = true });
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://other.example/" });
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That((first.Code, body), Is.EqualTo((502, "Route not found\n")));
            Assert.That(first.GetHeader("Access-Control-Allow-Origin"), Is.EqualTo("*"));
        });
    }

    [Test]
    public async Task Jsonp_request_is_rewritten_and_its_response_wrapped()
    {
        await using var h = await ProxyHarness.StartAsync(["*,aco 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/items?callback=cb&_method=PUT&_body=abc&x=1", Headers = [new("Host", "example.com")] });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("/items", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(req.Method, Is.EqualTo("PUT"));
            Assert.That(req.Uri, Is.EqualTo("http://example.com/items?x=1"));
            Assert.That(Encoding.UTF8.GetString(req.Body.Span), Is.EqualTo("abc"));
            Assert.That(req.GetHeader("Accept"), Is.EqualTo("*/*"));
        });
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 201, Reason = "Created", Headers = [new("Content-Type", "text/plain")], Body = "done\n"u8.ToArray() }, 0);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That((first.Code, first.GetHeader("Content-Type")), Is.EqualTo((200, "application/javascript")));
            Assert.That(body, Is.EqualTo("/**/cb({\"code\": 201, \"reason\": \"Created\", \"headers\": {\"Content-Type\": \"text/plain\"}, \"body\": \"done\\n\"});\n"));
        });
    }

    [Test]
    public async Task Bad_jsonp_parameter_is_a_400()
    {
        await using var h = await ProxyHarness.StartAsync(["*,aco 127.0.0.1:8081"]);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/items?callback=" });
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Code, body), Is.EqualTo((400, "Invalid callback parameter.\n")));
    }
}
