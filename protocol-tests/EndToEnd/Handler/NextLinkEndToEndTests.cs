using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.Handler;

/// <summary>
/// Next links through the real processes: the handler fetches <c>Grip-Link rel=next</c> through
/// the proxy's intreq sockets and appends the body to the client's stream.
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class NextLinkEndToEndTests
{
    private static async Task<HttpResponseMessage> PublishAsync(PushpinCluster pushpin, string items)
    {
        using var publisher = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var content = new StringContent($$"""{"items":[{{items}}]}""", Encoding.UTF8, "application/json");
        return await publisher.PostAsync(pushpin.PublishUri, content);
    }

    // Collects the client's body lines in the background so assertions can poll them.
    private static async Task ReadLinesAsync(Stream body, List<string> lines, CancellationToken ct)
    {
        using var reader = new StreamReader(body);
        while (!ct.IsCancellationRequested && await reader.ReadLineAsync(ct) is { } line)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    private static string[] Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }

    [Test]
    public async Task Non_hold_response_with_next_link_streams_the_next_body_then_holds_and_delivers_a_publish()
    {
        await using var backend = await TestBackend.StartAsync(app =>
        {
            app.MapGet("/first", (HttpContext ctx) =>
            {
                ctx.Response.Headers["Grip-Link"] = "</second>; rel=next";
                return Results.Text("one\n", "text/plain");
            });
            app.MapGet("/second", (HttpContext ctx) =>
            {
                ctx.Response.Headers["Grip-Link"] = "</third>; rel=next";
                return Results.Text("two\n", "text/plain");
            });
            app.MapGet("/third", (HttpContext ctx) =>
            {
                ctx.Response.Headers["Grip-Hold"] = "stream";
                ctx.Response.Headers["Grip-Channel"] = "nl";
                return Results.Text("three\nfour\n", "text/plain");
            });
        });
        await using var pushpin = await PushpinCluster.StartAsync([$"*,id=nl {backend.Target}"], "update_on_first_subscription = false");
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        using var response = await client.GetAsync(new Uri("/first", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var lines = new List<string>();
        using var stop = new CancellationTokenSource();
        var reader = ReadLinesAsync(await response.Content.ReadAsStreamAsync(), lines, stop.Token);

        await Eventually.TrueAsync(() => Snapshot(lines).Length >= 4, "the chained bodies\n" + pushpin.Runner.Output, TimeSpan.FromSeconds(20));
        Assert.That(Snapshot(lines), Is.EqualTo(new[] { "one", "two", "three", "four" }));
        lock (backend.Requests)
        {
            Assert.That(backend.Requests.Select(r => r.PathAndQuery), Does.Contain("/third"));
        }
        Assert.That(backend.LastRequest.Headers, Does.ContainKey("Grip-Sig"), "next-link fetches are signed like proxied requests");

        // The last response held the stream on "nl": a publish reaches the client.
        await Eventually.TrueAsync(async () =>
        {
            using var r = await PublishAsync(pushpin, """{"channel":"nl","formats":{"http-stream":{"content":"published\n"}}}""");
            return Snapshot(lines).Contains("published");
        }, "published item delivered\n" + string.Join("|", Snapshot(lines)), TimeSpan.FromSeconds(20));
        Assert.That(Snapshot(lines)[..5], Is.EqualTo(new[] { "one", "two", "three", "four", "published" }));
        await stop.CancelAsync();
        try
        {
            await reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (OperationCanceledException)
        {
            // Stopped reading.
        }
    }

    [Test]
    public async Task Non_hold_chain_without_a_final_hold_ends_the_stream()
    {
        await using var backend = await TestBackend.StartAsync(app =>
        {
            app.MapGet("/a", (HttpContext ctx) =>
            {
                ctx.Response.Headers["Grip-Link"] = "</b>; rel=next";
                return Results.Text("a\n", "text/plain");
            });
            app.MapGet("/b", () => Results.Text("b\n", "text/plain"));
        });
        await using var pushpin = await PushpinCluster.StartAsync([$"*,id=nl {backend.Target}"]);
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(20) };
        Assert.That(await client.GetStringAsync(new Uri("/a", UriKind.Relative)), Is.EqualTo("a\nb\n"));
    }

    [Test]
    public async Task Hint_on_a_stream_hold_fetches_the_next_link_with_grip_last_and_appends_what_was_missed()
    {
        await using var backend = await TestBackend.StartAsync(app =>
        {
            app.MapGet("/s", (HttpContext ctx) =>
            {
                ctx.Response.Headers["Grip-Hold"] = "stream";
                ctx.Response.Headers["Grip-Channel"] = "ord; prev-id=1";
                ctx.Response.Headers["Grip-Link"] = "</s/more?since=1>; rel=next";
                return Results.Text("start\n", "text/plain");
            });
            app.MapGet("/s/more", (HttpContext ctx) =>
            {
                ctx.Response.Headers["Grip-Hold"] = "stream";
                ctx.Response.Headers["Grip-Channel"] = "ord; prev-id=5";
                ctx.Response.Headers["Grip-Link"] = "</s/more?since=5>; rel=next";
                return Results.Text("missed " + ctx.Request.Headers["Grip-Last"] + "\n", "text/plain");
            });
        });
        await using var pushpin = await PushpinCluster.StartAsync([$"*,id=nl {backend.Target}"], "update_on_first_subscription = false");
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        using var response = await client.GetAsync(new Uri("/s", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var lines = new List<string>();
        using var stop = new CancellationTokenSource();
        var reader = ReadLinesAsync(await response.Content.ReadAsStreamAsync(), lines, stop.Token);
        await Eventually.TrueAsync(() => Snapshot(lines).Length >= 1, "initial body", TimeSpan.FromSeconds(10));

        await Eventually.TrueAsync(async () =>
        {
            using var r = await PublishAsync(pushpin, """{"channel":"ord","formats":{"http-stream":{"action":"hint"}}}""");
            return Snapshot(lines).Length >= 2;
        }, "next link fetched after a hint\n" + pushpin.Runner.Output, TimeSpan.FromSeconds(20));
        Assert.That(Snapshot(lines)[..2], Is.EqualTo(new[] { "start", "missed ord; last-id=1" }));

        // The new hold continues from prev-id 5: the item following it is delivered.
        await Eventually.TrueAsync(async () =>
        {
            using var r = await PublishAsync(pushpin, """{"channel":"ord","id":"6","prev-id":"5","formats":{"http-stream":{"content":"six\n"}}}""");
            return Snapshot(lines).Contains("six");
        }, "in-order item delivered\n" + string.Join("|", Snapshot(lines)), TimeSpan.FromSeconds(20));
        await stop.CancelAsync();
        try
        {
            await reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (OperationCanceledException)
        {
            // Stopped reading.
        }
    }

    [Test]
    public async Task Silent_stream_fetches_its_next_link_after_the_link_timeout_and_keeps_appending()
    {
        var fetches = 0;
        await using var backend = await TestBackend.StartAsync(app =>
        {
            app.MapGet("/quiet", (HttpContext ctx) =>
            {
                ctx.Response.Headers["Grip-Hold"] = "stream";
                ctx.Response.Headers["Grip-Channel"] = "quiet";
                ctx.Response.Headers["Grip-Link"] = "</quiet/next?n=1>; rel=next; timeout=2";
                return Results.Text("start\n", "text/plain");
            });
            app.MapGet("/quiet/next", (HttpContext ctx) =>
            {
                var n = Interlocked.Increment(ref fetches);
                ctx.Response.Headers["Grip-Hold"] = "stream";
                ctx.Response.Headers["Grip-Channel"] = "quiet";
                ctx.Response.Headers["Grip-Link"] = $"</quiet/next?n={n + 1}>; rel=next; timeout=2";
                return Results.Text($"tick {n}\n", "text/plain");
            });
        });
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"], "update_on_first_subscription = false");
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        using var response = await client.GetAsync(new Uri("/quiet", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var lines = new List<string>();
        using var stop = new CancellationTokenSource();
        var reader = ReadLinesAsync(await response.Content.ReadAsStreamAsync(), lines, stop.Token);

        var started = DateTime.UtcNow;
        await Eventually.TrueAsync(() => Snapshot(lines).Length >= 3, "two timed fetches\n" + pushpin.Runner.Output, TimeSpan.FromSeconds(20));
        Assert.That(Snapshot(lines).Take(3), Is.EqualTo(new[] { "start", "tick 1", "tick 2" }));
        Assert.That(DateTime.UtcNow - started, Is.GreaterThan(TimeSpan.FromSeconds(3)), "each fetch waits for the 2 s timeout");
        lock (backend.Requests)
        {
            Assert.That(backend.Requests.Where(r => r.PathAndQuery.StartsWith("/quiet/next", StringComparison.Ordinal)).Select(r => r.PathAndQuery).Take(2), Is.EqualTo(new[] { "/quiet/next?n=1", "/quiet/next?n=2" }));
        }
        await stop.CancelAsync();
        response.Dispose();
        await Task.WhenAny(reader, Task.Delay(2000));
    }
}
