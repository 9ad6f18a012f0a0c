using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Handler.Publishing;

namespace Pushpin.ProtocolTests.Handler;

[TestFixture]
[CancelAfter(60_000)]
public sealed class ControlHttpServerTests
{
    private ControlHttpServer _server = null!;
    // A fresh list per test: items handed on after a previous test's reply land in its own list.
    private List<PublishItem> _published = [];
    private int _recovered;

    [SetUp]
    public void SetUp()
    {
        var published = _published = [];
        _recovered = 0;
        var api = new ControlApi(items =>
        {
            lock (published)
            {
                published.AddRange(items);
            }
            return Task.CompletedTask;
        }, () => Interlocked.Increment(ref _recovered));
        _server = new ControlHttpServer(IPAddress.Loopback, 0, 10_000, 1000, api.Handle, NullLogger.Instance);
        _server.Start();
    }

    [TearDown]
    public async Task TearDown() => await _server.DisposeAsync();

    private Task<string> Send(string request) => RawHttp.SendAsync(_server.Port, request);

    private const string StreamItem = """{"items":[{"channel":"a","formats":{"http-stream":{"content":"x"}}}]}""";

    [Test]
    public async Task Root_answers_pushpin_api()
    {
        Assert.That(await Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Is.EqualTo(RawHttp.Expected("200 OK", "Pushpin API\n")));
    }

    [TestCase("/publish/")]
    [TestCase("/publish")]
    public async Task Publish_answers_published_and_hands_items_on(string path)
    {
        Assert.That(await Send(RawHttp.Post(path, StreamItem)), Is.EqualTo(RawHttp.Expected("200 OK", "Published\n")));
        await Support.Eventually.TrueAsync(() => { lock (_published) { return _published.Count == 1; } }, "published item");
    }

    [Test]
    public async Task Publish_reply_waits_until_the_engine_has_taken_the_items()
    {
        // As upstream's single loop: a publisher that gets its reply knows the items reached the
        // sessions, so it cannot queue unbounded work ahead of delivery.
        var engineDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var api = new ControlApi(_ => engineDone.Task, () => { });
        await using var server = new ControlHttpServer(IPAddress.Loopback, 0, 10_000, 1000, api.Handle, NullLogger.Instance);
        server.Start();
        var reply = RawHttp.SendAsync(server.Port, RawHttp.Post("/publish/", StreamItem));
        var early = await Task.WhenAny(reply, Task.Delay(300));
        Assert.That(early, Is.Not.SameAs(reply), "no reply while the engine still holds the items");
        engineDone.SetResult();
        Assert.That(await reply.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(RawHttp.Expected("200 OK", "Published\n")));
    }

    [Test]
    public async Task Publish_with_json_accept_answers_json()
    {
        Assert.That(await Send(RawHttp.Post("/publish/", StreamItem, "Accept: application/json\r\n")),
            Is.EqualTo(RawHttp.Expected("200 OK", "{\"message\":\"Published\"}\n", contentType: "application/json")));
    }

    [Test]
    public async Task Last_acceptable_media_type_wins()
    {
        Assert.That(await Send(RawHttp.Post("/publish/", StreamItem, "Accept: application/json, text/plain\r\n")),
            Is.EqualTo(RawHttp.Expected("200 OK", "Published\n")));
    }

    [Test]
    public async Task Recover_answers_updated()
    {
        Assert.That(await Send(RawHttp.Post("/recover", "")), Is.EqualTo(RawHttp.Expected("200 OK", "Updated\n")));
        Assert.That(await Send(RawHttp.Post("/recover/", "", "Accept: application/*\r\n")),
            Is.EqualTo(RawHttp.Expected("200 OK", "{\"message\":\"Updated\"}\n", contentType: "application/json")));
        await Support.Eventually.TrueAsync(() => Volatile.Read(ref _recovered) == 2, "recover called");
    }

    [TestCase("GET", "/publish/")]
    [TestCase("PUT", "/recover")]
    public async Task Other_methods_get_405_with_allow(string method, string path)
    {
        var req = method == "GET" ? $"GET {path} HTTP/1.1\r\n\r\n" : $"{method} {path} HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
        Assert.That(await Send(req), Is.EqualTo(RawHttp.Expected("405 Method Not Allowed", $"Method not allowed: {method}.\n", "Allow: POST\r\n")));
    }

    [TestCase("/publish//")]
    [TestCase("/publish/?a=b")]
    [TestCase("/nothing")]
    public async Task Other_paths_get_404(string path)
    {
        Assert.That(await Send($"GET {path} HTTP/1.1\r\n\r\n"), Is.EqualTo(RawHttp.Expected("404 Not Found", "Not Found\n")));
    }

    [TestCase("{nope", "Body is not valid JSON.\n")]
    [TestCase("[1]", "Invalid format.\n")]
    [TestCase("{}", "Invalid format: object does not contain 'items'\n")]
    [TestCase("""{"items":{}}""", "Invalid format: object contains 'items' with wrong type\n")]
    [TestCase("""{"items":[{"channel":"a","formats":{"http-stream":{}}}]}""", "Invalid format: 'http-stream' does not contain 'content' or 'content-bin'\n")]
    [TestCase("""{"items":[{"channel":"a","formats":{"http-stream":{"action":"nope"}}}]}""", "Invalid format: \n")]
    public async Task Bad_publish_body_gets_400_with_reason(string body, string message)
    {
        Assert.That(await Send(RawHttp.Post("/publish/", body)), Is.EqualTo(RawHttp.Expected("400 Bad Request", message)));
    }

    [Test]
    public async Task Body_with_invalid_utf8_is_not_valid_json()
    {
        Assert.That(await Send("POST /publish/ HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"items\":\"\u00ff\"}"),
            Is.EqualTo(RawHttp.Expected("400 Bad Request", "Body is not valid JSON.\n")));
    }

    [Test]
    public async Task One_bad_item_rejects_the_request()
    {
        var body = """{"items":[{"channel":"a","formats":{"http-stream":{"content":"x"}}},{"channel":"b"}]}""";
        Assert.That(await Send(RawHttp.Post("/publish/", body)), Is.EqualTo(RawHttp.Expected("400 Bad Request", "Invalid format: no formats specified\n")));
        lock (_published)
        {
            Assert.That(_published, Is.Empty);
        }
    }

    [Test]
    public async Task Unsupported_accept_gets_406_in_text()
    {
        Assert.That(await Send(RawHttp.Post("/publish/", StreamItem, "Accept: image/png\r\n")),
            Is.EqualTo(RawHttp.Expected("406 Not Acceptable", "Not Acceptable. Supported formats are text/plain and application/json.\n")));
    }

    [Test]
    public async Task Post_without_content_length_gets_411()
    {
        Assert.That(await Send("POST /publish/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            Is.EqualTo(RawHttp.Expected("411 Length Required", "Request requires Content-Length.\n")));
    }

    [Test]
    public async Task Body_over_the_limit_gets_400()
    {
        Assert.That(await Send("POST /publish/ HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"),
            Is.EqualTo(RawHttp.Expected("400 Bad Request", "Request body too large.\n")));
    }

    [Test]
    public async Task Bad_content_length_gets_400()
    {
        Assert.That(await Send("POST /publish/ HTTP/1.1\r\nContent-Length: ten\r\n\r\n"),
            Is.EqualTo(RawHttp.Expected("400 Bad Request", "Bad Content-Length.\n")));
    }

    [Test]
    public async Task Body_longer_than_declared_gets_400()
    {
        Assert.That(await Send("POST /publish/ HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}xx"),
            Is.EqualTo(RawHttp.Expected("400 Bad Request", "Request body exceeded Content-Length.\n")));
    }

    [Test]
    public async Task Header_block_over_the_limit_gets_400()
    {
        var big = new string('a', 11_000);
        Assert.That(await Send($"GET / HTTP/1.1\r\nX-Big: {big}\r\n\r\n"),
            Is.EqualTo(RawHttp.Expected("400 Bad Request", "Request header too large.\n")));
    }

    [Test]
    public async Task Http10_request_gets_http10_status_line()
    {
        Assert.That(await Send("GET / HTTP/1.0\r\n\r\n"), Does.StartWith("HTTP/1.0 200 OK\r\n"));
    }
}
