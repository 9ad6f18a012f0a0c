using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd;

/// <summary>
/// The smallest real path through all four processes: pushpin-runner starts connmgr, proxy
/// and handler; real clients, a real ASP.NET Core backend, real publishes over HTTP.
/// </summary>
[NonParallelizable]
[CancelAfter(120000)]
public sealed class SkeletonPathTests
{
    private TestBackend _backend = null!;
    private PushpinCluster _pushpin = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _backend = await TestBackend.StartAsync(app =>
        {
            app.MapGet("/hello", (HttpContext ctx) =>
            {
                ctx.Response.Headers["X-Backend"] = "yes";
                return Results.Text($"hello {ctx.Request.Query["name"]}\n", "text/plain");
            });
            app.MapPost("/echo", async (HttpContext ctx) =>
            {
                using var reader = new StreamReader(ctx.Request.Body);
                var body = await reader.ReadToEndAsync();
                ctx.Response.Headers["X-Echo-Length"] = body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Text("echo:" + body, "text/plain");
            });
            app.MapGet("/big", () => Results.Text(new string('x', 300_000), "text/plain"));
            app.MapGet("/stream/{channel}", (HttpContext ctx, string channel) =>
            {
                ctx.Response.Headers["Grip-Hold"] = "stream";
                ctx.Response.Headers["Grip-Channel"] = channel;
                return Results.Text("stream open\n", "text/plain");
            });
        });
        _pushpin = await PushpinCluster.StartAsync([$"* {_backend.Target}"]);
        _http = new HttpClient { BaseAddress = _pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http?.Dispose();
        if (_pushpin is not null)
        {
            await _pushpin.DisposeAsync();
        }
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    [Test]
    public async Task Proxied_get_returns_the_backend_response_and_headers()
    {
        using var response = await _http.GetAsync(new Uri("/hello?name=pushpin", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("hello pushpin\n"));
        Assert.That(response.Headers.GetValues("X-Backend"), Is.EqualTo(new[] { "yes" }));
        var seen = _backend.LastRequest;
        Assert.That(seen.Headers["Host"], Does.StartWith("127.0.0.1"));
        Assert.That(seen.Headers, Does.ContainKey("Grip-Sig"), "GRIP-enabled routes sign requests");
    }

    [Test]
    public async Task Proxied_post_carries_content_length_and_chunked_bodies()
    {
        using var fixedBody = await _http.PostAsync(new Uri("/echo", UriKind.Relative), new StringContent("abc=123"));
        Assert.That(await fixedBody.Content.ReadAsStringAsync(), Is.EqualTo("echo:abc=123"));

        var big = new string('y', 100_000);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, new Uri("/echo", UriKind.Relative))
        {
            Content = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(big))),
        };
        chunked.Headers.TransferEncodingChunked = true;
        using var response = await _http.SendAsync(chunked);
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("echo:" + big));
    }

    [Test]
    public async Task Large_response_streams_through_whole()
    {
        var body = await _http.GetStringAsync(new Uri("/big", UriKind.Relative));
        Assert.That(body, Has.Length.EqualTo(300_000));
    }

    [Test]
    public async Task Stream_hold_delivers_published_chunks_in_order_then_close_ends_it()
    {
        var channel = "e2e-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await _http.GetAsync(new Uri($"/stream/{channel}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.Contains("Grip-Hold"), Is.False, "GRIP headers never reach the client");
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        Assert.That(await reader.ReadLineAsync(), Is.EqualTo("stream open"));

        // The handler subscribes before it sends the initial response, so once "stream open"
        // arrived a publish must reach this client.
        await PublishAsync(channel, "{\"http-stream\":{\"content\":\"one\\n\"}}");
        await PublishAsync(channel, "{\"http-stream\":{\"content\":\"two\\n\"}}");
        await PublishAsync(channel, "{\"http-stream\":{\"content\":\"three\\n\"}}");
        Assert.That(await ReadLineAsync(reader), Is.EqualTo("one"));
        Assert.That(await ReadLineAsync(reader), Is.EqualTo("two"));
        Assert.That(await ReadLineAsync(reader), Is.EqualTo("three"));

        await PublishAsync(channel, "{\"http-stream\":{\"action\":\"close\"}}");
        var tail = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(tail, Is.Empty, "the stream ends cleanly after close");
    }

    [Test]
    public async Task Test_route_answers_like_upstream()
    {
        await using var other = await PushpinCluster.StartAsync(["* test"]);
        using var http = new HttpClient { BaseAddress = other.BaseUri };
        Assert.That(await http.GetStringAsync(new Uri("/", UriKind.Relative)), Is.EqualTo("Hello from the Pushpin test handler!\n"));
        using var missing = await http.GetAsync(new Uri("/nope", UriKind.Relative));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await missing.Content.ReadAsStringAsync(), Is.EqualTo("no such test resource\n"));

        using var stream = await http.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.That(await reader.ReadLineAsync(), Is.EqualTo("[stream opened]"));
        using var publisher = new HttpClient();
        using var content = new StringContent("{\"items\":[{\"channel\":\"test\",\"formats\":{\"http-stream\":{\"content\":\"hi\\n\"}}}]}");
        using var published = await publisher.PostAsync(new Uri($"http://127.0.0.1:{other.PublishHttpPort}/publish/"), content);
        Assert.That(published.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ReadLineAsync(reader), Is.EqualTo("hi"));
    }

    [Test]
    public async Task Malformed_request_line_gets_400_and_the_server_stays_up()
    {
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, _pushpin.HttpPort);
            var stream = client.GetStream();
            await stream.WriteAsync("GARBAGE\r\n\r\n"u8.ToArray());
            var buffer = new byte[4096];
            var n = await stream.ReadAsync(buffer);
            Assert.That(Encoding.ASCII.GetString(buffer, 0, n), Does.StartWith("HTTP/1.1 400 "));
        }
        using var ok = await _http.GetAsync(new Uri("/hello?name=after", UriKind.Relative));
        Assert.That(await ok.Content.ReadAsStringAsync(), Is.EqualTo("hello after\n"));
    }

    [Test]
    public async Task Bad_publish_json_gets_400_with_a_reason_and_the_handler_stays_up()
    {
        using var publisher = new HttpClient();
        using var bad = await publisher.PostAsync(_pushpin.PublishUri, new StringContent("{not json"));
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await bad.Content.ReadAsStringAsync(), Is.EqualTo("Body is not valid JSON.\n"));
        using var good = await publisher.PostAsync(_pushpin.PublishUri, new StringContent("{\"items\":[{\"channel\":\"x\",\"formats\":{\"http-stream\":{\"content\":\"y\"}}}]}"));
        Assert.That(good.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await good.Content.ReadAsStringAsync(), Is.EqualTo("Published\n"));
    }

    private static Task<string?> ReadLineAsync(StreamReader reader) => reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));

    private async Task PublishAsync(string channel, string formats)
    {
        using var publisher = new HttpClient();
        using var content = new StringContent($"{{\"items\":[{{\"channel\":\"{channel}\",\"formats\":{formats}}}]}}");
        using var r = await publisher.PostAsync(_pushpin.PublishUri, content);
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), await r.Content.ReadAsStringAsync());
    }
}
