using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.EndToEnd.WebSockets;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Docs;

/// <summary>
/// Runs an <c>http grip-response</c> example: a backend answers GET /held with exactly the
/// documented GRIP response; a client's request must be held as a stream that starts with the
/// documented body and then carries what is published to the <c>Grip-Channel</c>.
/// </summary>
internal static class GripResponseExample
{
    public static async Task RunAsync(DocBlock block)
    {
        var (code, headers, body) = WohOpenExample.Parse(block);
        var channel = headers.Single(h => h.Name.Equals("Grip-Channel", StringComparison.OrdinalIgnoreCase)).Value;
        Assert.That(headers.Any(h => h.Name.Equals("Grip-Hold", StringComparison.OrdinalIgnoreCase) && h.Value == "stream"), $"{block}: the example is a stream hold");
        await using var backend = await TestBackend.StartAsync(app => app.MapGet("/held", async (HttpContext ctx) =>
        {
            ctx.Response.StatusCode = code;
            foreach (var (name, value) in headers)
            {
                ctx.Response.Headers.Append(name, value);
            }
            await ctx.Response.Body.WriteAsync(body);
        }));
        // Only /held holds: the cluster's readiness probe (GET /) must get a quick answer.
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{pushpin.HttpPort}/held"), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.That((int)response.StatusCode, Is.EqualTo(code), $"{block}: status");
        await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        var expected = Encoding.UTF8.GetString(body);
        while (received.Length < expected.Length)
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            Assert.That(n, Is.GreaterThan(0), $"{block}: the stream ended before its first body");
            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        Assert.That(received.ToString(), Is.EqualTo(expected), $"{block}: the held stream starts with the backend's body");

        // The session is accepted (and subscribed) before its first body is sent.
        await WsClients.PublishAsync(http, pushpin, new { channel, formats = new Dictionary<string, object> { ["http-stream"] = new { content = "published\n" } } }, cts.Token);
        received.Clear();
        while (!received.ToString().Contains("published\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            Assert.That(n, Is.GreaterThan(0), $"{block}: the stream ended before the published item");
            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }
}
