using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Interop;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Tools;

/// <summary>The real <c>pushpin-publish</c> executable against real receivers.</summary>
[CancelAfter(60000)]
public sealed class PushpinPublishTests
{
    private static async Task<ChildProcess> RunAsync(params string[] args)
    {
        var p = ChildProcess.Start(Artifacts.Executable("pushpin-publish"), args);
        await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return p;
    }

    [Test]
    public async Task Http_publish_posts_one_item_with_every_format_and_prints_published()
    {
        string? body = null;
        await using var api = await TestBackend.StartAsync(app => app.MapPost("/publish/", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            body = await reader.ReadToEndAsync();
            return Results.Text("Published\n");
        }));
        await using var p = await RunAsync("news", "hello", "--id", "2", "--prev-id", "1", "--sender", "me", "-M", "k=v",
            "-H", "X-A: b", "--code", "201", "--no-seq", "--spec", $"http://127.0.0.1:{api.Port}");
        Assert.That(p.ExitCode, Is.Zero, p.Output);
        Assert.That(p.Output.Trim(), Is.EqualTo("Published"));
        var item = JsonNode.Parse(body!)!["items"]![0]!;
        Assert.Multiple(() =>
        {
            Assert.That((string?)item["channel"], Is.EqualTo("news"));
            Assert.That((string?)item["id"], Is.EqualTo("2"));
            Assert.That((string?)item["prev-id"], Is.EqualTo("1"));
            Assert.That((bool?)item["no-seq"], Is.True);
            Assert.That((string?)item["meta"]!["sender"], Is.EqualTo("me"));
            Assert.That((string?)item["meta"]!["k"], Is.EqualTo("v"));
            Assert.That((int?)item["formats"]!["http-response"]!["code"], Is.EqualTo(201));
            Assert.That((string?)item["formats"]!["http-response"]!["body"], Is.EqualTo("hello\n"));
            Assert.That(item["formats"]!["http-response"]!["headers"]!.ToJsonString(), Is.EqualTo("[[\"X-A\",\"b\"]]"));
            Assert.That((string?)item["formats"]!["http-stream"]!["content"], Is.EqualTo("hello\n"));
            Assert.That((string?)item["formats"]!["ws-message"]!["content"], Is.EqualTo("hello"), "WebSocket content never gets an end of line");
        });
    }

    [Test]
    public async Task Server_error_is_printed_and_exit_code_is_one()
    {
        await using var api = await TestBackend.StartAsync(app => app.MapPost("/publish/", () => Results.Text("Invalid format: nope\n", statusCode: 400)));
        await using var p = await RunAsync("news", "x", "--spec", $"http://127.0.0.1:{api.Port}");
        Assert.That(p.ExitCode, Is.EqualTo(1));
        Assert.That(p.Output.Trim(), Is.EqualTo("Error: Invalid format: nope"));
    }

    [TestCase(new[] { "news" }, "Error: must specify content")]
    [TestCase(new[] { "news", "x", "--code", "1000" }, "Error: code must be an integer between 0 and 999")]
    [TestCase(new[] { "news", "[1", "--patch" }, "Error: ")]
    [TestCase(new[] { "news", "{}", "--patch" }, "Error: patch content must be a JSON array")]
    [TestCase(new[] { "news", "x", "-H", "nocolon" }, "Error: header must be in the form \"name: value\"")]
    [TestCase(new[] { "news", "x", "-u", "a:b", "--spec", "http://127.0.0.1:9" }, "Error: Authentication requires https")]
    public async Task Bad_arguments_fail_with_upstreams_message(string[] args, string expected)
    {
        await using var p = await RunAsync(args);
        Assert.That(p.ExitCode, Is.EqualTo(1));
        Assert.That(p.Output, Does.StartWith(expected));
    }

    [Test]
    public async Task Zmq_spec_pushes_a_tnetstring_item_that_libzmq_reads()
    {
        var port = FreePorts.One();
        await using var pull = ChildProcess.Start(ZhttpLibzmqInteropTests.Python, [ZhttpLibzmqInteropTests.Script("zmq_pull_capture.py"), port.ToString(CultureInfo.InvariantCulture)]);
        await pull.WaitForLineAsync("ready");
        await using var p = await RunAsync("news", "zmq hello", "--code", "202", "--spec", $"tcp://127.0.0.1:{port}");
        Assert.That(p.ExitCode, Is.Zero, p.Output);
        await pull.WaitForLineAsync("item ");
        var item = JsonNode.Parse(pull.Lines.First(l => l.StartsWith("item ", StringComparison.Ordinal))[5..])!;
        Assert.That((string?)item["channel"], Is.EqualTo("news"));
        Assert.That((int?)item["formats"]!["http-response"]!["code"], Is.EqualTo(202));
        Assert.That((string?)item["formats"]!["http-response"]!["body"], Is.EqualTo("zmq hello\n"));
        Assert.That((string?)item["formats"]!["http-stream"]!["content"], Is.EqualTo("zmq hello\n"));
        Assert.That((string?)item["formats"]!["ws-message"]!["content"], Is.EqualTo("zmq hello"));
    }
}
