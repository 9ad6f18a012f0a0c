using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy;
using Pushpin.Proxy.Signing;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary>
/// Every route condition, target option and header rule (behavior.md §8, §1.1), one row each:
/// routes, a client request, and what the backend receives (connmgr client-mode packet) or what
/// the client gets, through the real engine on real NetMQ sockets.
/// </summary>
[CancelAfter(30_000)]
public sealed class RouteOptionTableTests
{
    private static readonly string KeyFile = Path.Combine(Path.GetTempPath(), $"pushpin-route-key-{Environment.ProcessId}.txt");
    private static readonly string RoutesFile = Path.Combine(Path.GetTempPath(), $"pushpin-routes-{Environment.ProcessId}");
    private static readonly byte[] RouteSecret = "route-secret"u8.ToArray();

    /// <summary>A client request, and either what the backend sees or what the client gets.</summary>
    public sealed record Row(string Name, string[] Routes, string Uri)
    {
        public (string Name, string Value)[] Headers { get; init; } = [];

        public Func<ProxyOptions, ProxyOptions>? Options { get; init; }

        public bool UseRoutesFile { get; init; }

        /// <summary>The first target answers <c>remote-connection-failed</c> (failover rows).</summary>
        public bool FirstTargetFails { get; init; }

        /// <summary>What to read off the backend's packet, and its expected value.</summary>
        public Func<ZhttpPacket, string?>? Backend { get; init; }

        public string? Expected { get; init; }

        /// <summary>Expected client status and body start, for requests the proxy answers itself.</summary>
        public (int Code, string Body)? Client { get; init; }

        public override string ToString() => Name;
    }

    private static string Connect(ZhttpPacket p) => $"{p.ConnectHost}:{p.ConnectPort}";

    private static string? Claims(string? token) =>
        token is null ? null : Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.Split('.')[1]));

    public static IEnumerable<Row> Rows()
    {
        // Conditions (§8.2, §8.5).
        yield return new Row("exact host", ["example.com 127.0.0.1:8001", "* 127.0.0.1:8002"], "http://example.com/") { Backend = Connect, Expected = "127.0.0.1:8001" };
        yield return new Row("host match ignores the port", ["example.com 127.0.0.1:8001", "* 127.0.0.1:8002"], "http://EXAMPLE.com:8080/") { Backend = Connect, Expected = "127.0.0.1:8001" };
        yield return new Row("* for other hosts", ["example.com 127.0.0.1:8001", "* 127.0.0.1:8002"], "http://other.org/") { Backend = Connect, Expected = "127.0.0.1:8002" };
        yield return new Row("exact host never falls back to *", ["example.com,path_beg=/a 127.0.0.1:8001", "* 127.0.0.1:8002"], "http://example.com/b") { Client = (502, "Route not found") };
        yield return new Row("longer path_beg wins", ["*,path_beg=/a 127.0.0.1:8001", "*,path_beg=/a/b 127.0.0.1:8002"], "http://example.com/a/b/c") { Backend = Connect, Expected = "127.0.0.1:8002" };
        yield return new Row("path_beg must match", ["*,path_beg=/a 127.0.0.1:8001", "* 127.0.0.1:8002"], "http://example.com/ab") { Backend = Connect, Expected = "127.0.0.1:8001" };
        yield return new Row("path_beg no match", ["*,path_beg=/a/ 127.0.0.1:8001", "* 127.0.0.1:8002"], "http://example.com/ab") { Backend = Connect, Expected = "127.0.0.1:8002" };
        yield return new Row("ssl=yes for https clients", ["* 127.0.0.1:8001", "*,ssl=yes 127.0.0.1:8002"], "https://example.com/") { Backend = Connect, Expected = "127.0.0.1:8002" };
        yield return new Row("ssl=no for plain clients", ["*,ssl=no 127.0.0.1:8001", "*,ssl=yes 127.0.0.1:8002"], "http://example.com/") { Backend = Connect, Expected = "127.0.0.1:8001" };
        yield return new Row("proto=ws is skipped by http", ["*,proto=ws 127.0.0.1:8001", "* 127.0.0.1:8002"], "http://example.com/") { Backend = Connect, Expected = "127.0.0.1:8002" };
        yield return new Row("proto=http", ["*,proto=http 127.0.0.1:8001", "* 127.0.0.1:8002"], "http://example.com/") { Backend = Connect, Expected = "127.0.0.1:8001" };
        yield return new Row("no route: 502", ["example.com 127.0.0.1:8001"], "http://other.org/") { Client = (502, "Route not found") };
        yield return new Row("id selects with Pushpin-Route", ["*,id=one 127.0.0.1:8001", "*,id=two,ssl=yes 127.0.0.1:8002"], "http://example.com/")
        {
            Headers = [("Pushpin-Route", "two")],
            Options = o => o with { AcceptPushpinRoute = true },
            Backend = p => Connect(p) + " " + (p.GetHeader("Pushpin-Route") ?? "stripped"),
            Expected = "127.0.0.1:8002 stripped",
        };
        yield return new Row("Pushpin-Route ignored unless accepted", ["*,id=one 127.0.0.1:8001", "*,id=two,path_beg=/x 127.0.0.1:8002"], "http://example.com/") { Headers = [("Pushpin-Route", "two")], Backend = Connect, Expected = "127.0.0.1:8001" };

        // Rewrites.
        yield return new Row("path_rem", ["*,path_beg=/rem,path_rem=4 127.0.0.1:8001"], "http://example.com/rem/abc?q=1") { Backend = p => p.Uri, Expected = "http://example.com/abc?q=1" };
        yield return new Row("replace_beg", ["*,path_beg=/rb,replace_beg=/zz 127.0.0.1:8001"], "http://example.com/rb/x") { Backend = p => p.Uri, Expected = "http://example.com/zz/x" };
        yield return new Row("as_host", ["*,as_host=inner:81 127.0.0.1:8001"], "http://example.com/x") { Backend = p => p.Uri + " " + p.GetHeader("Host"), Expected = "http://inner:81/x inner:81" };
        yield return new Row("header= sets and empty removes", ["*,header=X-Added:yes,header=User-Agent: 127.0.0.1:8001"], "http://example.com/")
        {
            Headers = [("User-Agent", "curl"), ("X-Added", "client")],
            Backend = p => p.GetHeader("X-Added") + "|" + (p.GetHeader("User-Agent") ?? "none"),
            Expected = "yes|none",
        };

        // Targets (§8.3).
        yield return new Row("IPv6 target", ["* [::1]:8001"], "http://example.com/") { Backend = Connect, Expected = "::1:8001" };
        yield return new Row("ssl target", ["* 127.0.0.1:8443,ssl"], "http://example.com/x") { Backend = p => p.Uri, Expected = "https://example.com/x" };
        yield return new Row("insecure", ["* 127.0.0.1:8443,ssl,insecure"], "http://example.com/") { Backend = p => p.IgnoreTlsErrors.ToString(), Expected = "True" };
        yield return new Row("verified by default", ["* 127.0.0.1:8443,ssl"], "http://example.com/") { Backend = p => p.IgnoreTlsErrors.ToString(), Expected = "False" };
        yield return new Row("trust_connect_host", ["* 127.0.0.1:8443,ssl,trust_connect_host"], "http://example.com/") { Backend = p => p.TrustConnectHost.ToString(), Expected = "True" };
        yield return new Row("targets are trusted (policy skipped)", ["* 127.0.0.1:8001"], "http://example.com/") { Backend = p => p.IgnorePolicies.ToString(), Expected = "True" };
        yield return new Row("untrusted", ["* 127.0.0.1:8001,untrusted"], "http://example.com/") { Backend = p => p.IgnorePolicies.ToString(), Expected = "False" };
        yield return new Row("host= on the target", ["* 127.0.0.1:8001,host=other.example:99"], "http://example.com/x") { Backend = p => p.Uri + " " + p.GetHeader("Host"), Expected = "http://other.example:99/x other.example:99" };
        yield return new Row("over_http and sub leave HTTP alone", ["* 127.0.0.1:8001,over_http,sub=news"], "http://example.com/x") { Backend = p => Connect(p) + " " + p.Uri, Expected = "127.0.0.1:8001 http://example.com/x" };
        yield return new Row("failover to the next target", ["* 127.0.0.1:8001 127.0.0.1:8002"], "http://example.com/") { FirstTargetFails = true, Backend = Connect, Expected = "127.0.0.1:8002" };
        yield return new Row("all targets failed", ["* 127.0.0.1:8001"], "http://example.com/") { FirstTargetFails = true, Client = (502, "Error while proxying to origin.") };
        yield return new Row("all targets failed, debug", ["*,debug 127.0.0.1:8001"], "http://example.com/") { FirstTargetFails = true, Client = (502, "Unable to connect to any targets. Tried: 127.0.0.1:8001") };
        yield return new Row("test target", ["* test"], "http://example.com/") { Client = (200, "Hello from the Pushpin test handler!") };
        yield return new Row("test target under path_beg", ["*,path_beg=/t/ test"], "http://example.com/t/") { Client = (200, "Hello from the Pushpin test handler!") };

        // Signing and GRIP headers (§4.1, §1.1).
        yield return new Row("Grip-Sig from [proxy] sig_key", ["* 127.0.0.1:8001"], "http://example.com/")
        {
            Options = o => o with { SigKey = GripSigningKey.FromSecret("changeme"u8.ToArray()) },
            Backend = p => GripSig.Validate(p.GetHeader("Grip-Sig")!, GripSigningKey.FromSecret("changeme"u8.ToArray()), DateTimeOffset.UtcNow) + " " + JsonDocument.Parse(Claims(p.GetHeader("Grip-Sig"))!).RootElement.GetProperty("iss").GetString(),
            Expected = "True pushpin",
        };
        yield return new Row("sig_iss and sig_key=base64: per route", [$"*,sig_iss=me,sig_key=base64:{Convert.ToBase64String(RouteSecret)} 127.0.0.1:8001"], "http://example.com/")
        {
            Options = o => o with { SigKey = GripSigningKey.FromSecret("changeme"u8.ToArray()) },
            Backend = p => GripSig.Validate(p.GetHeader("Grip-Sig")!, GripSigningKey.FromSecret(RouteSecret), DateTimeOffset.UtcNow) + " " + JsonDocument.Parse(Claims(p.GetHeader("Grip-Sig"))!).RootElement.GetProperty("iss").GetString(),
            Expected = "True me",
        };
        yield return new Row("sig_key=file:", [$"*,sig_key=file:{KeyFile} 127.0.0.1:8001"], "http://example.com/")
        {
            Backend = p => GripSig.Validate(p.GetHeader("Grip-Sig")!, GripSigningKey.FromSecret("from-file"u8.ToArray()), DateTimeOffset.UtcNow).ToString(),
            Expected = "True",
        };
        yield return new Row("Grip-Feature and client Grip-* dropped", ["* 127.0.0.1:8001"], "http://example.com/")
        {
            Headers = [("Grip-Sig", "forged"), ("Grip-Last", "x; last-id=1")],
            Backend = p => (p.GetHeader("Grip-Sig") ?? "none") + "|" + (p.GetHeader("Grip-Last") ?? "none") + "|" + (p.GetHeader("Grip-Feature") is null ? "no feature" : "feature"),
            Expected = "none|none|feature",
        };
        yield return new Row("no_grip", ["*,no_grip 127.0.0.1:8001"], "http://example.com/")
        {
            Options = o => o with { SigKey = GripSigningKey.FromSecret("changeme"u8.ToArray()) },
            Backend = p => (p.GetHeader("Grip-Sig") ?? "no sig") + "|" + (p.GetHeader("Grip-Feature") ?? "no feature"),
            Expected = "no sig|no feature",
        };
        yield return new Row("orig_headers copies client headers", ["*,orig_headers 127.0.0.1:8001"], "http://example.com/") { Headers = [("X-Client", "c")], Backend = p => p.GetHeader("eb9bf0f5-X-Client"), Expected = "c" };
        yield return new Row("marked headers removed without orig_headers", ["* 127.0.0.1:8001"], "http://example.com/") { Headers = [("eb9bf0f5-X-Client", "c")], Backend = p => p.GetHeader("eb9bf0f5-X-Client") ?? "removed", Expected = "removed" };
        yield return new Row("X-Forwarded-For append", ["* 127.0.0.1:8001"], "http://example.com/")
        {
            Headers = [("X-Forwarded-For", "10.0.0.1")],
            Options = o => o with { XffUntrusted = Pushpin.Proxy.Http.XffRule.Parse("append") },
            Backend = p => p.GetHeader("X-Forwarded-For"),
            Expected = "10.0.0.1, 127.0.0.1",
        };
        yield return new Row("X-Forwarded-For truncate:0,append", ["* 127.0.0.1:8001"], "http://example.com/")
        {
            Headers = [("X-Forwarded-For", "10.0.0.1")],
            Options = o => o with { XffUntrusted = Pushpin.Proxy.Http.XffRule.Parse("truncate:0,append") },
            Backend = p => p.GetHeader("X-Forwarded-For"),
            Expected = "127.0.0.1",
        };
        yield return new Row("X-Forwarded-Proto set for https clients", ["* 127.0.0.1:8001"], "https://example.com/") { Options = o => o with { SetXForwardedProto = true }, Backend = p => p.GetHeader("X-Forwarded-Proto"), Expected = "https" };
        yield return new Row("CDN-Loop appended", ["* 127.0.0.1:8001"], "http://example.com/") { Headers = [("CDN-Loop", "cdn1")], Options = o => o with { CdnLoop = "pushpin" }, Backend = p => p.GetHeader("CDN-Loop"), Expected = "cdn1, pushpin" };
        yield return new Row("hop-by-hop headers dropped", ["* 127.0.0.1:8001"], "http://example.com/") { Headers = [("Connection", "close"), ("Keep-Alive", "5"), ("Expect", "100-continue"), ("Accept-Encoding", "gzip")], Backend = p => (p.GetHeader("Connection") ?? "-") + (p.GetHeader("Keep-Alive") ?? "-") + (p.GetHeader("Expect") ?? "-") + (p.GetHeader("Accept-Encoding") ?? "-"), Expected = "----" };
        yield return new Row("session, log_level and prefix parse and proxy", ["*,session,log_level=1,prefix=p- 127.0.0.1:8001"], "http://example.com/") { Backend = Connect, Expected = "127.0.0.1:8001" };

        // --route lines replace the routes file.
        yield return new Row("--route overrides the file", ["* 127.0.0.1:8001"], "http://example.com/") { UseRoutesFile = true, Backend = Connect, Expected = "127.0.0.1:8001" };

        // Upstream's own routes file (src/proxy/routes.test).
        string[] upstream = ["*,debug origin:80", "*,path_beg=/jsonp,aco,debug origin:80", "*,path_beg=/jsonp-basic,aco,jsonp_mode=basic,jsonp_body=bparam,jsonp_defcb=jpcb,debug origin:80"];
        yield return new Row("upstream routes.test: default", upstream, "http://example.com/x") { Backend = p => Connect(p) + " " + p.Uri, Expected = "origin:80 http://example.com/x" };
        yield return new Row("upstream routes.test: jsonp", upstream, "http://example.com/jsonp/x?callback=cb") { Backend = p => Connect(p) + " " + p.Method + " " + p.Uri, Expected = "origin:80 GET http://example.com/jsonp/x" };
        yield return new Row("upstream routes.test: jsonp basic", upstream, "http://example.com/jsonp-basic/x?bparam=hello") { Backend = p => p.Method + " " + p.Uri + " " + Encoding.UTF8.GetString(p.Body.Span), Expected = "POST http://example.com/jsonp-basic/x hello" };
    }

    [OneTimeSetUp]
    public void WriteFiles()
    {
        File.WriteAllText(KeyFile, "from-file");
        File.WriteAllText(RoutesFile, "* 127.0.0.1:8009\n");
    }

    [OneTimeTearDown]
    public void DeleteFiles()
    {
        File.Delete(KeyFile);
        File.Delete(RoutesFile);
    }

    [TestCaseSource(nameof(Rows))]
    public async Task Route_option(Row row)
    {
        await using var h = await ProxyHarness.StartAsync(row.Routes, row.Options, routesFile: row.UseRoutesFile ? RoutesFile : null);
        var id = h.Send(new ZhttpPacket
        {
            Method = "GET",
            Uri = row.Uri,
            Headers = [.. row.Headers.Select(x => new HttpHeader(x.Name, x.Value))],
        });
        if (row.FirstTargetFails)
        {
            var first = await h.ExpectOutboundAsync(p => p.Method is not null);
            h.ReplyToProxy(first.Id!, new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = "remote-connection-failed" }, 0);
        }
        if (row.Backend is not null)
        {
            var req = await h.ExpectOutboundAsync(p => p.Method is not null);
            Assert.That(row.Backend(req), Is.EqualTo(row.Expected), row.Name);
            return;
        }
        var (resp, body) = await h.ReadResponseAsync(id);
        Assert.That((resp.Code, body), Is.EqualTo(row.Client!.Value).Using<(int, string), (int, string)>((a, e) => a.Item1 == e.Item1 && a.Item2.StartsWith(e.Item2, StringComparison.Ordinal)), row.Name);
    }
}
