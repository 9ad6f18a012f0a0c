using System.Text;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Signing;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary>intreq: the handler's own outbound requests (next links) served by the proxy (internals.md §2.4, §3.4 passthrough).</summary>
[CancelAfter(60_000)]
public sealed class ProxyEngineIntreqTests
{
    private static readonly GripSigningKey Key = GripSigningKey.FromSecret("changeme"u8.ToArray());

    private static Dictionary<string, object?> Passthrough(string route, bool preferInternal, bool trusted = false) => new()
    {
        ["route"] = Encoding.UTF8.GetBytes(route),
        ["prefer-internal"] = preferInternal,
        ["trusted"] = trusted,
    };

    [Test]
    public async Task Prefer_internal_request_goes_to_the_routes_target_and_its_grip_response_comes_back_raw()
    {
        await using var h = await ProxyHarness.StartAsync(["*,id=api,path_beg=/api 127.0.0.1:8081"], o => o with { SigKey = Key });
        var id = h.SendInternal(new ZhttpPacket
        {
            Method = "GET",
            Uri = "http://example.com/api/next",
            Headers = [new("Host", "example.com"), new("Grip-Last", "news; last-id=7")],
            Passthrough = Passthrough("api", preferInternal: true),
        });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("/api/next", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That((req.ConnectHost, req.ConnectPort), Is.EqualTo(("127.0.0.1", 8081)));
            Assert.That(req.IgnorePolicies, Is.True, "route targets are trusted unless marked untrusted");
            Assert.That(req.GetHeader("Grip-Last"), Is.EqualTo("news; last-id=7"), "the handler's Grip-* headers are kept");
            Assert.That(GripSig.Validate(req.GetHeader("Grip-Sig")!, Key, DateTimeOffset.UtcNow), Is.True);
        });

        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Grip-Hold", "stream"), new("Grip-Channel", "news")], Body = "more\n"u8.ToArray() }, 0);
        var resp = await h.NextInternalAsync(id);
        Assert.That(resp, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(resp!.Code, Is.EqualTo(200));
            Assert.That(resp.GetHeader("Grip-Hold"), Is.EqualTo("stream"), "the handler interprets the instructions itself");
            Assert.That(Encoding.UTF8.GetString(resp.Body.Span), Is.EqualTo("more\n"));
            Assert.That(resp.More, Is.False);
            Assert.That(h.Handler.Calls.TryRead(out _), Is.False, "no accept for an internal request");
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Without_prefer_internal_the_request_goes_to_the_uri_host_signed_as_the_route(bool trusted)
    {
        await using var h = await ProxyHarness.StartAsync(["*,id=api,sig_key=routekey 127.0.0.1:8081"], o => o with { SigKey = Key });
        var id = h.SendInternal(new ZhttpPacket
        {
            Method = "GET",
            Uri = "http://next.example:9000/more?x=1",
            Headers = [new("Host", "next.example:9000")],
            Passthrough = Passthrough("api", preferInternal: false, trusted),
        });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("next.example", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(req.Uri, Is.EqualTo("http://next.example:9000/more?x=1"));
            Assert.That((req.ConnectHost, req.ConnectPort), Is.EqualTo(("next.example", 9000)));
            Assert.That(req.IgnorePolicies, Is.EqualTo(trusted), "passthrough trusted decides the outbound policy");
            Assert.That(GripSig.Validate(req.GetHeader("Grip-Sig")!, GripSigningKey.FromSecret("routekey"u8.ToArray()), DateTimeOffset.UtcNow), Is.True, "signed with the route's key");
        });
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 404, Reason = "Not Found", Body = "no"u8.ToArray() }, 0);
        var resp = await h.NextInternalAsync(id);
        Assert.That((resp!.Code, Encoding.UTF8.GetString(resp.Body.Span)), Is.EqualTo((404, "no")));
    }

    [Test]
    public async Task Prefer_internal_with_a_path_outside_the_route_goes_to_the_uri_host()
    {
        await using var h = await ProxyHarness.StartAsync(["*,id=api,path_beg=/api 127.0.0.1:8081"]);
        h.SendInternal(new ZhttpPacket { Method = "GET", Uri = "http://elsewhere.example/other", Passthrough = Passthrough("api", preferInternal: true) });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null && p.Uri!.Contains("elsewhere", StringComparison.Ordinal));
        Assert.That((req.ConnectHost, req.ConnectPort), Is.EqualTo(("elsewhere.example", 80)));
    }

    [Test]
    public async Task Unknown_route_id_gets_route_not_found()
    {
        await using var h = await ProxyHarness.StartAsync(["*,id=api 127.0.0.1:8081"]);
        var id = h.SendInternal(new ZhttpPacket { Method = "GET", Uri = "http://example.com/x", Passthrough = Passthrough("gone", preferInternal: true) });
        var resp = await h.NextInternalAsync(id);
        Assert.That((resp!.Code, Encoding.UTF8.GetString(resp.Body.Span)), Is.EqualTo((502, "Route not found\n")));
    }
}
