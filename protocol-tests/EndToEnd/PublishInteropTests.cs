using System.Globalization;
using System.Net;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd;

/// <summary>
/// Publishers users already have, against our handler: Debian's <c>pushpin-publish</c> (1.36,
/// over HTTP and over ZeroMQ PUSH to 5560) and ours, delivering into a real stream hold on
/// the built-in test route.
/// </summary>
[NonParallelizable]
[CancelAfter(120000)]
public sealed class PublishInteropTests
{
    private const string DebianPublish = "/usr/bin/pushpin-publish";

    private PushpinCluster _pushpin = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _pushpin = await PushpinCluster.StartAsync(["* test"]);

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_pushpin is not null)
        {
            await _pushpin.DisposeAsync();
        }
    }

    private static IEnumerable<TestCaseData> Publishers()
    {
        yield return new TestCaseData("ours", "http").SetName("Ours_over_http_reaches_a_stream_hold");
        yield return new TestCaseData("ours", "zmq").SetName("Ours_over_zmq_push_reaches_a_stream_hold");
        yield return new TestCaseData("debian", "http").SetName("Debian_pushpin_publish_over_http_reaches_a_stream_hold");
        yield return new TestCaseData("debian", "zmq").SetName("Debian_pushpin_publish_over_zmq_push_reaches_a_stream_hold");
    }

    [TestCaseSource(nameof(Publishers))]
    public async Task Publisher_reaches_a_stream_hold(string which, string transport)
    {
        if (which == "debian" && !File.Exists(DebianPublish))
        {
            Assert.Ignore("Debian's pushpin-publish is not installed (.ci/run installs it)");
        }
        using var http = new HttpClient { BaseAddress = _pushpin.BaseUri };
        using var response = await http.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.That(await reader.ReadLineAsync(), Is.EqualTo("[stream opened]"));

        var spec = transport == "http"
            ? $"http://127.0.0.1:{_pushpin.PublishHttpPort}"
            : $"tcp://127.0.0.1:{_pushpin.PublishPullPort}";
        var text = $"{which}-{transport}-{Guid.NewGuid():N}";
        var exe = which == "debian" ? DebianPublish : Artifacts.Executable("pushpin-publish");
        await using (var publish = ChildProcess.Start(exe, ["test", text, "--spec", spec]))
        {
            Assert.That(await publish.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, publish.Output);
            Assert.That(publish.Output.Trim(), Is.EqualTo("Published"));
        }
        Assert.That(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)), Is.EqualTo(text));

        await using var close = ChildProcess.Start(exe, ["test", "--close", "--spec", spec]);
        Assert.That(await close.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, close.Output);
        Assert.That(await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15)), Is.Empty);
    }

    [Test]
    public async Task Bad_items_get_upstreams_error_through_debian_pushpin_publish()
    {
        if (!File.Exists(DebianPublish))
        {
            Assert.Ignore("Debian's pushpin-publish is not installed");
        }
        // A patch that is not an array is refused by the tool itself; a code out of range too.
        await using var p = ChildProcess.Start(DebianPublish, ["test", "x", "--code", "1000", "--spec", $"http://127.0.0.1:{_pushpin.PublishHttpPort.ToString(CultureInfo.InvariantCulture)}"]);
        Assert.That(await p.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(1));
    }
}
