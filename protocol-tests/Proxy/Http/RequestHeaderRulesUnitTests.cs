using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;
using Pushpin.Proxy.Signing;

namespace Pushpin.ProtocolTests.Proxy.Http;

public sealed class RequestHeaderRulesUnitTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static Route RouteOf(string line) =>
        RouteTable.Build([line], "routes", "/tmp", new List<RouteLoadError>()).Routes[0];

    private static List<HttpHeader> Apply(string route, ProxyOptions options, bool trusted, string scheme, params (string, string)[] headers)
    {
        var list = headers.Select(h => new HttpHeader(h.Item1, h.Item2)).ToList();
        RequestHeaderRules.Apply(list, RouteOf(route), options, trusted, "10.0.0.9", scheme, Now);
        return list;
    }

    private static string Render(List<HttpHeader> headers, params string[] names) =>
        string.Join(" | ", headers.Where(h => names.Any(n => h.Is(n))).Select(h => h.Name + ": " + h.Value));

    [Test]
    public void Hop_by_hop_headers_are_removed()
    {
        var h = Apply("* test", new ProxyOptions(), false, "http",
            ("Connection", "keep-alive"), ("Keep-Alive", "5"), ("Accept-Encoding", "gzip"), ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"), ("Expect", "100-continue"), ("Accept", "*/*"));
        Assert.That(h.Select(x => x.Name), Is.EquivalentTo(new[] { "Accept", "Grip-Feature" }));
    }

    // x_forwarded_for rule, incoming XFF values, expected XFF ("" = none)
    [TestCase("", new[] { "1.1.1.1", "2.2.2.2" }, "1.1.1.1, 2.2.2.2")]
    [TestCase("append", new[] { "1.1.1.1" }, "1.1.1.1, 10.0.0.9")]
    [TestCase("truncate:0,append", new[] { "1.1.1.1, 2.2.2.2" }, "10.0.0.9")]
    [TestCase("truncate:1", new[] { "1.1.1.1", "2.2.2.2, 3.3.3.3" }, "3.3.3.3")]
    [TestCase("truncate:0", new[] { "1.1.1.1" }, "")]
    public void X_forwarded_for_follows_the_rule(string rule, string[] incoming, string expected)
    {
        var options = new ProxyOptions { XffUntrusted = XffRule.Parse(rule) };
        var h = Apply("* test", options, false, "http", incoming.Select(v => ("X-Forwarded-For", v)).ToArray());
        var values = h.Where(x => x.Is("X-Forwarded-For")).Select(x => x.Value);
        Assert.That(string.Join(" | ", values), Is.EqualTo(expected));
    }

    [Test]
    public void Trusted_client_keeps_its_grip_headers_and_uses_the_trusted_xff_rule()
    {
        var options = new ProxyOptions { SigKey = GripSigningKey.FromSecret("k"u8.ToArray()), XffUntrusted = XffRule.Parse("truncate:0"), XffTrusted = XffRule.Parse("append") };
        var h = Apply("* test", options, true, "http", ("Grip-Sig", "upstream"), ("Grip-Last", "a; last-id=1"), ("X-Forwarded-For", "1.1.1.1"));
        Assert.That(Render(h, "Grip-Sig", "Grip-Last", "Grip-Feature", "X-Forwarded-For"), Is.EqualTo("Grip-Sig: upstream | Grip-Last: a; last-id=1 | X-Forwarded-For: 1.1.1.1, 10.0.0.9"));
    }

    [Test]
    public void Untrusted_client_grip_headers_are_replaced_by_ours()
    {
        var key = GripSigningKey.FromSecret("secret"u8.ToArray());
        var h = Apply("*,sig_iss=other test", new ProxyOptions { SigKey = key }, false, "http", ("Grip-Sig", "forged"), ("grip-last", "x"), ("Grip-Feature", "old"));
        Assert.Multiple(() =>
        {
            Assert.That(h.Count(x => x.Is("Grip-Sig")), Is.EqualTo(1));
            Assert.That(h.Any(x => x.Is("Grip-Last")), Is.False);
            Assert.That(h.Single(x => x.Is("Grip-Feature")).Value, Is.EqualTo(RequestHeaderRules.GripFeatures));
            var token = h.Single(x => x.Is("Grip-Sig")).Value;
            Assert.That(GripSig.Validate(token, key, Now), Is.True);
            var claims = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1]));
            Assert.That(claims, Does.Contain("\"iss\":\"other\""));
        });
    }

    [Test]
    public void No_grip_route_adds_no_signature_or_features()
    {
        var h = Apply("*,no_grip test", new ProxyOptions { SigKey = GripSigningKey.FromSecret("k"u8.ToArray()) }, false, "http", ("Grip-Foo", "x"));
        Assert.That(h, Is.Empty, "client Grip-* is still stripped, nothing is added");
    }

    [Test]
    public void Route_header_props_set_and_remove_headers()
    {
        var h = Apply("*,\"header=X-A: one\",header=X-B: test", new ProxyOptions(), false, "http", ("x-a", "client"), ("X-B", "gone"), ("X-C", "kept"));
        Assert.That(Render(h, "X-A", "X-B", "X-C"), Is.EqualTo("X-C: kept | X-A: one"));
    }

    [TestCase(false, false, false, "https", "X-Forwarded-Proto: client")]
    [TestCase(true, false, false, "https", "")]
    [TestCase(false, true, false, "https", "X-Forwarded-Proto: https")]
    [TestCase(false, true, true, "https", "X-Forwarded-Proto: https | X-Forwarded-Protocol: https")]
    [TestCase(false, true, false, "http", "")]
    public void X_forwarded_proto_follows_the_settings(bool accept, bool setProto, bool setProtocol, string scheme, string expected)
    {
        var options = new ProxyOptions { AcceptXForwardedProtocol = accept, SetXForwardedProto = setProto, SetXForwardedProtocol = setProtocol };
        var h = Apply("* test", options, false, scheme, ("X-Forwarded-Proto", "client"));
        Assert.That(Render(h, "X-Forwarded-Proto", "X-Forwarded-Protocol"), Is.EqualTo(expected));
    }

    [Test]
    public void Orig_headers_copies_client_headers_under_the_marker_prefix()
    {
        var options = new ProxyOptions { OrigHeadersNeedMark = ["Cookie"] };
        var h = Apply("*,orig_headers test", options, false, "http", ("Accept", "a"), ("Cookie", "c"), ("eb9bf0f5-Cookie", "marked"));
        Assert.That(Render(h, "Accept", "Cookie", "eb9bf0f5-Accept", "eb9bf0f5-Cookie"), Is.EqualTo("Accept: a | Cookie: c | eb9bf0f5-Accept: a | eb9bf0f5-Cookie: marked"));
    }

    [Test]
    public void Marker_headers_are_dropped_without_orig_headers()
    {
        var h = Apply("* test", new ProxyOptions(), false, "http", ("eb9bf0f5-Cookie", "x"), ("Accept", "a"));
        Assert.That(Render(h, "Accept", "eb9bf0f5-Cookie"), Is.EqualTo("Accept: a"));
    }

    [Test]
    public void Cdn_loop_values_are_merged_with_ours_appended()
    {
        var h = Apply("* test", new ProxyOptions { CdnLoop = "pushpin" }, false, "http", ("CDN-Loop", "a"), ("cdn-loop", "b, c"));
        Assert.That(Render(h, "CDN-Loop"), Is.EqualTo("CDN-Loop: a, b, c, pushpin"));
    }

    [Test]
    public void Pushpin_route_is_removed_only_when_honoured()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Render(Apply("* test", new ProxyOptions { AcceptPushpinRoute = true }, false, "http", ("Pushpin-Route", "r")), "Pushpin-Route"), Is.Empty);
            Assert.That(Render(Apply("* test", new ProxyOptions(), false, "http", ("Pushpin-Route", "r")), "Pushpin-Route"), Is.EqualTo("Pushpin-Route: r"));
        });
    }

    [TestCase("http://Example.COM:7999/a%2Fb?x=1#f", "http", "example.com", 7999, "/a%2Fb", "?x=1")]
    [TestCase("https://[::1]/p", "https", "::1", -1, "/p", "")]
    [TestCase("http://h", "http", "h", -1, "", "")]
    public void Request_uri_keeps_the_encoded_path(string uri, string scheme, string host, int port, string path, string query)
    {
        Assert.That(RequestUri.TryParse(uri, out var u), Is.True);
        Assert.That((u!.Scheme, u.Host, u.Port, u.Path, u.Query), Is.EqualTo((scheme, host, port, path, query)));
    }

    [Test]
    public void Host_header_follows_the_rewritten_uri()
    {
        RequestUri.TryParse("http://example.com:7999/x", out var u);
        var headers = new List<HttpHeader> { new("Host", "example.com:7999") };
        RequestHeaderRules.ApplyHost(headers, u!.WithHost("backend"));
        Assert.That(Render(headers, "Host"), Is.EqualTo("Host: backend"));
        RequestHeaderRules.ApplyHost(headers, u.WithHost("backend:81"));
        Assert.That(Render(headers, "Host"), Is.EqualTo("Host: backend:81"));
    }
}
