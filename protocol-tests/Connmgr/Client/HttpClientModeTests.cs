using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Client;

[TestFixture]
[CancelAfter(60_000)]
public sealed class HttpClientModeTests
{
    private TestBackend _backend = null!;
    private ClientHarness _h = null!;
    private TaskCompletionSource _release = null!;

    [SetUp]
    public async Task SetUp()
    {
        _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _backend = await TestBackend.StartAsync(app =>
        {
            app.MapGet("/probe", () => "ok");
            app.MapGet("/hello", (HttpContext c) =>
            {
                c.Response.Headers["X-Custom"] = "yes";
                return "hello world";
            });
            app.MapPost("/echo", async (HttpContext c) =>
            {
                using var reader = new StreamReader(c.Request.Body);
                var body = await reader.ReadToEndAsync();
                return $"echo:{body}";
            });
            app.MapGet("/redirect/{n:int}", (HttpContext c, int n) =>
            {
                c.Response.StatusCode = 302;
                c.Response.Headers.Location = n > 0 ? $"/redirect/{n - 1}" : "/hello";
            });
            app.MapGet("/stream", async (HttpContext c) =>
            {
                c.Response.ContentType = "text/plain";
                await c.Response.WriteAsync("0123456789");
                await c.Response.Body.FlushAsync();
                await _release.Task;
                await c.Response.WriteAsync("tail");
            });
        });
        _h = await ClientHarness.StartAsync(_backend);
    }

    [TearDown]
    public async Task TearDown()
    {
        _release.TrySetResult();
        await _h.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Test]
    public async Task Get_goes_to_the_connect_host_and_the_response_comes_back()
    {
        var request = _h.Request("GET", "http://example.invalid/hello?x=1", [("Host", "example.invalid"), ("X-Req", "1")]);
        request.ConnectHost = "127.0.0.1";
        request.ConnectPort = _backend.Port;
        var id = _h.Begin(request);
        var packets = await _h.CollectAsync(id);
        Assert.That(packets[0].Type, Is.EqualTo(ZhttpPacketType.Data), packets[0].ToString());
        Assert.That(packets[0].Code, Is.EqualTo(200));
        Assert.That(packets[0].Reason, Is.EqualTo("OK"));
        Assert.That(packets[0].GetHeader("X-Custom"), Is.EqualTo("yes"));
        Assert.That(packets.Select(x => x.Seq), Is.EqualTo(Enumerable.Range(0, packets.Count)));
        Assert.That(packets.All(x => x.From == "connmgr"), Is.True);
        Assert.That(ClientHarness.Body(packets), Is.EqualTo("hello world"));
        var seen = _backend.LastRequest;
        Assert.That(seen.PathAndQuery, Is.EqualTo("/hello?x=1"));
        Assert.That(seen.Headers["Host"], Is.EqualTo("example.invalid"));
        Assert.That(seen.Headers["X-Req"], Is.EqualTo("1"));
    }

    [Test]
    public async Task Post_body_streams_under_granted_credits()
    {
        var id = _h.Begin(_h.Request("POST", $"http://127.0.0.1:{_backend.Port}/echo", [("Content-Type", "text/plain")], "abc", more: true, ignorePolicies: true));
        var credit = await _h.NextAsync(id);
        Assert.That((credit.Type, credit.Credits), Is.EqualTo((ZhttpPacketType.Credit, 8192)));
        _h.Continue(id, 1, new ZhttpPacket { Body = "def"u8.ToArray(), More = true });
        _h.Continue(id, 2, new ZhttpPacket { Body = "ghi"u8.ToArray() });
        var packets = await _h.CollectAsync(id);
        Assert.That(ClientHarness.Body(packets.Where(x => x.Type == ZhttpPacketType.Data)), Is.EqualTo("echo:abcdefghi"));
    }

    [Test]
    public async Task Large_request_body_streams_in_packets_under_the_credits_connmgr_grants()
    {
        var body = new string('b', 100_000);
        var id = _h.Begin(_h.Request("POST", $"http://127.0.0.1:{_backend.Port}/echo", [("Content-Length", "100000")], "", more: true, ignorePolicies: true));
        long window = 0;
        var sent = 0;
        var seq = 1;
        while (sent < body.Length)
        {
            if (window == 0)
            {
                var p = await _h.NextAsync(id);
                Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Credit).Or.EqualTo(ZhttpPacketType.KeepAlive), p.ToString());
                window += Math.Max(0, p.Credits);
                continue;
            }
            var n = (int)Math.Min(window, body.Length - sent);
            _h.Continue(id, seq++, new ZhttpPacket { Body = Encoding.ASCII.GetBytes(body.Substring(sent, n)), More = sent + n < body.Length });
            sent += n;
            window -= n;
        }
        var packets = await _h.CollectAsync(id);
        Assert.That(ClientHarness.Body(packets.Where(x => x.Type == ZhttpPacketType.Data)), Is.EqualTo("echo:" + body));
        Assert.That(_backend.LastRequest.Headers["Content-Length"], Is.EqualTo("100000"));
    }

    [Test]
    public async Task Response_body_is_held_to_the_requester_credits()
    {
        var id = _h.Begin(_h.Request("GET", $"http://127.0.0.1:{_backend.Port}/stream", credits: 4, ignorePolicies: true));
        var head = await _h.NextAsync(id);
        Assert.That((head.Code, head.More), Is.EqualTo((200, true)));
        var first = await _h.NextAsync(id);
        Assert.That(Encoding.ASCII.GetString(first.Body.Span), Is.EqualTo("0123"));
        _h.Continue(id, 1, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = 100 });
        var second = await _h.NextAsync(id);
        Assert.That(Encoding.ASCII.GetString(second.Body.Span), Is.EqualTo("456789"));
        Assert.That(second.More, Is.True);
        _release.SetResult();
        var rest = await _h.CollectAsync(id);
        Assert.That(ClientHarness.Body(rest), Is.EqualTo("tail"));
        Assert.That(rest[^1].More, Is.False);
    }

    [Test]
    public async Task Redirects_are_followed_when_asked()
    {
        var request = _h.Request("GET", $"http://127.0.0.1:{_backend.Port}/redirect/2", ignorePolicies: true);
        request.FollowRedirects = true;
        var packets = await _h.CollectAsync(_h.Begin(request));
        Assert.That(packets[0].Code, Is.EqualTo(200));
        Assert.That(ClientHarness.Body(packets), Is.EqualTo("hello world"));
    }

    [Test]
    public async Task Redirects_are_passed_through_by_default_and_limited_when_followed()
    {
        var plain = await _h.CollectAsync(_h.Begin(_h.Request("GET", $"http://127.0.0.1:{_backend.Port}/redirect/0", ignorePolicies: true)));
        Assert.That(plain[0].Code, Is.EqualTo(302));
        Assert.That(plain[0].GetHeader("Location"), Is.EqualTo("/hello"));

        var request = _h.Request("GET", $"http://127.0.0.1:{_backend.Port}/redirect/20", ignorePolicies: true);
        request.FollowRedirects = true;
        var p = await _h.NextAsync(_h.Begin(request));
        Assert.That((p.Type, p.Condition), Is.EqualTo((ZhttpPacketType.Error, "too-many-redirects")));
    }

    [Test]
    public async Task Without_router_resp_the_response_is_published_with_the_requester_id()
    {
        var request = _h.Request("GET", $"http://127.0.0.1:{_backend.Port}/hello", ignorePolicies: true);
        request.RouterResp = false;
        var packets = await _h.CollectAsync(_h.Begin(request));
        Assert.That(packets[0].Code, Is.EqualTo(200));
        Assert.That(ClientHarness.Body(packets), Is.EqualTo("hello world"));
    }

    [Test]
    public async Task Refused_port_is_remote_connection_failed()
    {
        var id = _h.Begin(_h.Request("GET", $"http://127.0.0.1:{FreePorts.One()}/", ignorePolicies: true));
        var p = await _h.NextAsync(id);
        Assert.That((p.Type, p.Condition), Is.EqualTo((ZhttpPacketType.Error, "remote-connection-failed")));
    }

    [Test]
    public async Task Non_http_scheme_is_bad_request()
    {
        var id = _h.Begin(_h.Request("GET", "ftp://127.0.0.1/x", ignorePolicies: true));
        var p = await _h.NextAsync(id);
        Assert.That((p.Type, p.Condition), Is.EqualTo((ZhttpPacketType.Error, "bad-request")));
    }

    [Test]
    public async Task Tls_failure_is_tls_error()
    {
        // The backend speaks plain HTTP: the TLS handshake cannot succeed.
        var id = _h.Begin(_h.Request("GET", $"https://127.0.0.1:{_backend.Port}/hello", ignorePolicies: true));
        var p = await _h.NextAsync(id);
        Assert.That((p.Type, p.Condition), Is.EqualTo((ZhttpPacketType.Error, "tls-error")));
    }

    [Test]
    public async Task Deny_out_internal_refuses_loopback_unless_policies_are_ignored()
    {
        await using var strict = await ClientHarness.StartAsync(_backend, denyOutInternal: true);
        var id = strict.Begin(strict.Request("GET", $"http://127.0.0.1:{_backend.Port}/hello"));
        var p = await strict.NextAsync(id);
        Assert.That((p.Type, p.Condition), Is.EqualTo((ZhttpPacketType.Error, "policy-violation")));
        var ok = strict.Begin(strict.Request("GET", $"http://127.0.0.1:{_backend.Port}/hello", ignorePolicies: true));
        Assert.That(ClientHarness.Body(await strict.CollectAsync(ok)), Is.EqualTo("hello world"));
    }

    [Test]
    public async Task Cancel_from_the_requester_ends_the_session()
    {
        var id = _h.Begin(_h.Request("GET", $"http://127.0.0.1:{_backend.Port}/stream", ignorePolicies: true));
        var head = await _h.NextAsync(id);
        Assert.That(head.Code, Is.EqualTo(200));
        _h.Continue(id, 1, new ZhttpPacket { Type = ZhttpPacketType.Cancel });
        await Eventually.TrueAsync(() => _h.Client.SessionCount == 0, "the session to end");
    }
}
