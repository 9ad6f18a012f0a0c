using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Differential;

/// <summary>
/// The same raw requests against Debian's Pushpin 1.36 and against ours: the normalized
/// responses (status line, headers without Date/Server, body) must be identical.
/// </summary>
[NonParallelizable]
[CancelAfter(120000)]
public sealed class PublicSurfaceDifferentialTests
{
    private UpstreamPushpin _upstream = null!;
    private PushpinCluster _ours = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (!UpstreamPushpin.IsInstalled)
        {
            Assert.Ignore("Debian's pushpin is not installed (.ci/run installs it)");
        }
        _upstream = await UpstreamPushpin.StartAsync(["* test"]);
        _ours = await PushpinCluster.StartAsync(["* test"]);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
        if (_ours is not null)
        {
            await _ours.DisposeAsync();
        }
    }

    private static readonly string[] ClientRequests =
    [
        "GET / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n",
        "GET /nope HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    ];

    private static string Post(string path, string body, string extraHeaders = "") =>
        $"POST {path} HTTP/1.1\r\nHost: x\r\n{extraHeaders}Content-Length: {System.Text.Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    private const string StreamItem = "{\"items\":[{\"channel\":\"a\",\"formats\":{\"http-stream\":{\"content\":\"x\"}}}]}";

    private static readonly string[] PublishRequests =
    [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        Post("/publish/", "{bad"),
        Post("/publish/", "[]"),
        Post("/publish/", "{}"),
        Post("/publish", "{\"items\":[{}]}"),
        Post("/publish/", "{\"items\":[{\"channel\":\"a\",\"formats\":{}}]}"),
        Post("/publish/", "{\"items\":[{\"channel\":\"a\",\"formats\":{\"http-stream\":{}}}]}"),
        Post("/publish/", StreamItem),
        Post("/publish/", StreamItem, "Accept: application/json\r\n"),
        Post("/publish/", StreamItem, "Accept: image/png\r\n"),
        "GET /publish/ HTTP/1.1\r\nHost: x\r\n\r\n",
        Post("/recover", ""),
        "GET /other HTTP/1.1\r\nHost: x\r\n\r\n",
    ];

    [TestCaseSource(nameof(ClientRequests))]
    public async Task Test_route_answers_byte_for_byte_like_upstream(string request)
    {
        var expected = RawHttp.Normalize(await RawHttp.ExchangeAsync(_upstream.HttpPort, request));
        var actual = RawHttp.Normalize(await RawHttp.ExchangeAsync(_ours.HttpPort, request));
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public async Task Head_gets_the_same_head_as_upstream_and_no_body()
    {
        const string request = "HEAD / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n";
        var expected = RawHttp.Normalize(await RawHttp.ExchangeAsync(_upstream.HttpPort, request));
        var actual = RawHttp.Normalize(await RawHttp.ExchangeAsync(_ours.HttpPort, request));
        // condure 1.9.1 writes the body after a HEAD response head; RFC 9110 forbids it, so we
        // match upstream's head (status, Content-Length, Content-Type) and send no body.
        Assert.That(actual, Is.EqualTo(expected[..(expected.IndexOf("\n\n", StringComparison.Ordinal) + 2)]));
    }

    [TestCaseSource(nameof(PublishRequests))]
    public async Task Publish_api_answers_byte_for_byte_like_upstream(string request)
    {
        var expected = RawHttp.Normalize(await RawHttp.ExchangeAsync(_upstream.PublishHttpPort, request));
        var actual = RawHttp.Normalize(await RawHttp.ExchangeAsync(_ours.PublishHttpPort, request));
        Assert.That(actual, Is.EqualTo(expected));
    }
}
