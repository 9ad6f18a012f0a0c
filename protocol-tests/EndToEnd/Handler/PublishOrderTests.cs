using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.Handler;

/// <summary>
/// A publisher that waits for each 200 before its next publish must see its items delivered in
/// that order, although the publish API closes every connection and serves each on its own task
/// (the items used to reach the engine after the reply, so a later request could overtake).
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class PublishOrderTests
{
    [Test]
    public async Task Sequential_http_publishes_reach_a_stream_in_order()
    {
        await using var backend = await TestBackend.StartAsync(app => app.MapGet("/stream", (HttpContext ctx) =>
        {
            ctx.Response.Headers["Grip-Hold"] = "stream";
            ctx.Response.Headers["Grip-Channel"] = "order";
            return Results.Text("open\n", "text/plain");
        }));
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"]);
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        using var response = await client.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var received = new StringBuilder();
        var buffer = new byte[8192];
        async Task ReadUntilAsync(string text)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!received.ToString().Contains(text, StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                Assert.That(n, Is.GreaterThan(0), "the stream ended early:\n" + received);
                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        await ReadUntilAsync("open\n");

        const int count = 100;
        using var publisher = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var expected = new StringBuilder("open\n");
        for (var i = 0; i < count; i++)
        {
            var line = $"item {i}\n";
            expected.Append(line);
            using var content = new StringContent("{\"items\":[{\"channel\":\"order\",\"formats\":{\"http-stream\":{\"content\":\"item " + i + "\\n\"}}}]}", Encoding.UTF8, "application/json");
            using var r = await publisher.PostAsync(pushpin.PublishUri, content);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        await ReadUntilAsync($"item {count - 1}\n");
        var lines = received.ToString();
        // Everything up to the last item, in publish order (the last may have arrived early only if out of order).
        Assert.That(lines[..Math.Min(lines.Length, expected.Length)], Is.EqualTo(expected.ToString()));
    }
}
