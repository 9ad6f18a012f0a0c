using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Handler.Publishing;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>
/// The HTTP control API against Debian's Pushpin 1.36: the same raw requests must get the same
/// bytes back (where 1.36 and current upstream agree).
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class ControlHttpDifferentialTests
{
    private UpstreamPushpin? _upstream;
    private ControlHttpServer _ours = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        if (!UpstreamPushpin.IsInstalled)
        {
            Assert.Ignore("Debian pushpin is not installed");
        }
        _upstream = await UpstreamPushpin.StartAsync(["* test"]);
        var api = new ControlApi(_ => Task.CompletedTask, () => { });
        _ours = new ControlHttpServer(IPAddress.Loopback, 0, 10_000, 1_000_000, api.Handle, NullLogger.Instance);
        _ours.Start();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
            await _ours.DisposeAsync();
        }
    }

    private static readonly string[] Requests =
    [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /publish/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /publish// HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
        "DELETE /recover HTTP/1.1\r\nHost: x\r\n\r\n",
        RawHttp.Post("/publish/", """{"items":[{"channel":"diff","formats":{"http-stream":{"content":"x"}}}]}"""),
        RawHttp.Post("/publish", """{"items":[{"channel":"diff","formats":{"http-stream":{"content":"x"}}}]}""", "Accept: application/json\r\n"),
        RawHttp.Post("/publish/", """{"items":[]}""", "Accept: image/png\r\n"),
        RawHttp.Post("/publish/", "{nope"),
        RawHttp.Post("/publish/", "[1]"),
        RawHttp.Post("/publish/", "{}"),
        RawHttp.Post("/publish/", """{"items":{}}"""),
        RawHttp.Post("/publish/", """{"items":[5]}"""),
        RawHttp.Post("/publish/", """{"items":[{}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a"}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a","formats":{"http-stream":{}}}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a","formats":{"http-response":{}}}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a","formats":{"http-response":{"code":"x","body":""}}}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a","formats":{"http-stream":{"action":"nope"}}}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a","formats":{"ws-message":{"type":"yell","content":"x"}}}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a","formats":{"ws-message":{}}}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a","http-stream":{"content":"x"},"meta":{"k":1}}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":"a","http-stream":{"content":"x"},"no-seq":"yes"}]}"""),
        RawHttp.Post("/publish/", """{"items":[{"channel":1}]}"""),
        RawHttp.Post("/recover", ""),
        RawHttp.Post("/recover/", "", "Accept: text/*\r\n"),
        "POST /publish/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /publish/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
        "POST /publish/ HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    ];

    [TestCaseSource(nameof(Requests))]
    public async Task Response_matches_pushpin_1_36(string request)
    {
        var theirs = await RawHttp.SendAsync(_upstream!.PublishHttpPort, request);
        var ours = await RawHttp.SendAsync(_ours.Port, request);
        Assert.That(theirs, Does.StartWith("HTTP/1."), "pushpin 1.36 answered");
        Assert.That(ours, Is.EqualTo(theirs));
        TestContext.Out.WriteLine(theirs);
    }
}
