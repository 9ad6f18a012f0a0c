using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Signing;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

[CancelAfter(60_000)]
public sealed class ProxyEngineRoutingTests
{
    [Test]
    public async Task Trusted_upstream_proxy_gets_grip_headers_through_and_instructs_relayed()
    {
        var upstream = GripSigningKey.FromSecret("upstream-secret"u8.ToArray());
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"], o => o with { UpstreamKey = upstream, SigKey = GripSigningKey.FromSecret("ours"u8.ToArray()) });
        var sig = GripSig.Create("cdn", upstream, DateTimeOffset.UtcNow);
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/", Headers = [new("Grip-Sig", sig), new("Grip-Last", "a; last-id=1")] });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.Multiple(() =>
        {
            Assert.That(req.GetHeader("Grip-Sig"), Is.EqualTo(sig));
            Assert.That(req.GetHeader("Grip-Last"), Is.EqualTo("a; last-id=1"));
            Assert.That(req.GetHeader("Grip-Feature"), Is.Null);
        });
        h.ReplyToProxy(req.Id!, new ZhttpPacket { Code = 200, Reason = "OK", Headers = [new("Grip-Hold", "stream")], Body = "x"u8.ToArray() }, 0);
        var (first, body) = await h.ReadResponseAsync(id);
        Assert.That((first.Type, first.GetHeader("Grip-Hold"), body), Is.EqualTo((ZhttpPacketType.Data, "stream", "x")));
    }

    [Test]
    public async Task Expired_upstream_signature_makes_the_client_untrusted()
    {
        var upstream = GripSigningKey.FromSecret("upstream-secret"u8.ToArray());
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081"], o => o with { UpstreamKey = upstream });
        var sig = GripSig.Create("cdn", upstream, DateTimeOffset.UtcNow.AddHours(-2));
        h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/", Headers = [new("Grip-Sig", sig)] });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.That((req.GetHeader("Grip-Sig"), req.GetHeader("Grip-Feature")), Is.EqualTo(((string?)null, Pushpin.Proxy.Http.RequestHeaderRules.GripFeatures)));
    }

    [TestCase("/idr/x", 8082)]
    [TestCase("/other", -1)]
    public async Task Pushpin_route_selects_by_id_when_allowed(string path, int expectedPort)
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081", "*,id=myroute,path_beg=/idr 127.0.0.1:8082"], o => o with { AcceptPushpinRoute = true });
        var id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com" + path, Headers = [new("Pushpin-Route", "myroute")] });
        if (expectedPort < 0)
        {
            var (first, body) = await h.ReadResponseAsync(id);
            Assert.That((first.Code, body), Is.EqualTo((502, "Route not found\n")));
            return;
        }
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.Multiple(() =>
        {
            Assert.That(req.ConnectPort, Is.EqualTo(expectedPort));
            Assert.That(req.GetHeader("Pushpin-Route"), Is.Null);
        });
    }

    [Test]
    public async Task Accepted_x_forwarded_proto_makes_the_request_tls_for_routing()
    {
        await using var h = await ProxyHarness.StartAsync(["* 127.0.0.1:8081", "*,ssl=yes 127.0.0.1:8443"], o => o with { AcceptXForwardedProtocol = true, SetXForwardedProto = true });
        h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/", Headers = [new("X-Forwarded-Proto", "https")] });
        var req = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.That((req.ConnectPort, req.GetHeader("X-Forwarded-Proto")), Is.EqualTo((8443, "https")), "the header tells the backend what the client used");
    }

    [Test]
    public async Task Path_rewrites_and_target_host_are_applied()
    {
        await using var h = await ProxyHarness.StartAsync(["*,path_beg=/rb,replace_beg=/zz,as_host=inner:81 127.0.0.1:8081", "*,path_beg=/rem,path_rem=4 127.0.0.1:8082,ssl,host=other.example"]);
        h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/rb/x?q=1", Headers = [new("Host", "example.com")] });
        var a = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.That((a.Uri, a.GetHeader("Host")), Is.EqualTo(("http://inner:81/zz/x?q=1", "inner:81")));
        h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/rem/abc", Headers = [new("Host", "example.com")] });
        var b = await h.ExpectOutboundAsync(p => p.Method is not null);
        Assert.That((b.Uri, b.GetHeader("Host"), b.ConnectPort), Is.EqualTo(("https://other.example/abc", "other.example", 8082)));
    }

    [Test]
    public async Task Zhttp_target_gets_the_request_on_sockets_the_proxy_binds()
    {
        var port = Support.FreePorts.Block(3);
        var spec = $"tcp://127.0.0.1:{port}";
        await using var h = await ProxyHarness.StartAsync([$"* zhttp/{spec}"]);
        using var backend = new ZhttpResponder("backend", ZhttpEndpoints.FromBase(spec, bind: false), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        backend.Start();

        // The backend's PULL connects asynchronously: retry until a request reaches it.
        ZhttpPacket? req = null;
        string? id = null;
        await Support.Eventually.TrueAsync(async () =>
        {
            id = h.Send(new ZhttpPacket { Method = "GET", Uri = "http://example.com/z" });
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                req = await backend.Incoming.ReadAsync(wait.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "request at the zhttp backend");
        Assert.Multiple(() =>
        {
            Assert.That(req!.Uri, Is.EqualTo("http://example.com/z"));
            Assert.That(req.ConnectHost, Is.Null);
            Assert.That(req.From, Is.EqualTo("proxy_test"));
        });
        backend.Send(req!.From!, new ZhttpPacket { From = "backend", Id = req.Id, Seq = 0, Code = 200, Reason = "OK", Body = "from zhttp"u8.ToArray() }, routerResp: true);
        var (first, body) = await h.ReadResponseAsync(id!);
        Assert.That((first.Code, body), Is.EqualTo((200, "from zhttp")));
    }
}
