using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.Proxy;

/// <summary>
/// Plain traffic never depends on the handler: with the handler killed or frozen, proxied
/// requests keep succeeding and a GRIP hold gets a clear 500 instead of hanging; holds work
/// again once the handler is back.
/// </summary>
[NonParallelizable]
[CancelAfter(180_000)]
public sealed class HandlerDownTests
{
    private static Task<TestBackend> StartBackendAsync() => TestBackend.StartAsync(app =>
    {
        app.MapGet("/plain", () => Results.Text("plain\n"));
        app.MapGet("/stream", (HttpContext ctx) =>
        {
            ctx.Response.Headers["Grip-Hold"] = "stream";
            ctx.Response.Headers["Grip-Channel"] = "down";
            return Results.Text("open\n");
        });
    });

    private static async Task SignalAsync(string signal, int pid)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}")!;
        await kill.WaitForExitAsync();
    }

    private static async Task PlainRequestsSucceedAsync(HttpClient http, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var r = await http.GetAsync(new Uri("/plain", UriKind.Relative));
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"plain request {i} while the handler is down");
            Assert.That(await r.Content.ReadAsStringAsync(), Is.EqualTo("plain\n"));
        }
    }

    private static async Task<bool> HoldWorksAsync(HttpClient http, PushpinCluster pushpin)
    {
        using var response = await http.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return false;
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        if (await reader.ReadLineAsync() != "open")
        {
            return false;
        }
        using var publisher = new HttpClient();
        using var content = new StringContent("{\"items\":[{\"channel\":\"down\",\"formats\":{\"http-stream\":{\"content\":\"pushed\\n\"}}}]}");
        using var published = await publisher.PostAsync(pushpin.PublishUri, content);
        return await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5)) == "pushed";
    }

    [Test]
    public async Task Frozen_handler_gives_holds_a_500_while_plain_traffic_flows_and_holds_work_after_it_resumes()
    {
        await using var backend = await StartBackendAsync();
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"], proxyConfig: "accept_timeout_ms = 1000");
        using var http = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(20) };
        await Eventually.TrueAsync(() => HoldWorksAsync(http, pushpin), "a hold works before");

        var handler = ProcessTree.Children(pushpin.Runner.Pid, "pushpin-handler").Single();
        await SignalAsync("STOP", handler);
        try
        {
            await PlainRequestsSucceedAsync(http, 100);
            var watch = Stopwatch.StartNew();
            using var hold = await http.GetAsync(new Uri("/stream", UriKind.Relative));
            Assert.Multiple(async () =>
            {
                Assert.That(hold.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
                Assert.That(await hold.Content.ReadAsStringAsync(), Is.EqualTo("Accept service unavailable.\n"));
                Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the hold is answered after the accept timeout, not left hanging");
            });
        }
        finally
        {
            await SignalAsync("CONT", handler);
        }
        await Eventually.TrueAsync(() => HoldWorksAsync(http, pushpin), "a hold works after the handler resumes", TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task Killed_handler_never_hangs_a_hold_and_plain_traffic_flows_until_it_is_back()
    {
        await using var backend = await StartBackendAsync();
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"]);
        using var http = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(20) };

        var handler = ProcessTree.Children(pushpin.Runner.Pid, "pushpin-handler").Single();
        await SignalAsync("9", handler);
        using (var hold = await http.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        {
            // Dead (no accept peer): a 500 at once; already restarted: the hold is served.
            if (hold.StatusCode != HttpStatusCode.OK)
            {
                Assert.That(hold.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
                Assert.That(await hold.Content.ReadAsStringAsync(), Is.EqualTo("Accept service unavailable.\n"));
            }
        }
        await PlainRequestsSucceedAsync(http, 100);

        await Eventually.TrueAsync(() => ProcessTree.Children(pushpin.Runner.Pid, "pushpin-handler").Any(p => p != handler), "a new handler process");
        await pushpin.WaitReadyAsync();
        await Eventually.TrueAsync(() => HoldWorksAsync(http, pushpin), "a hold works after the restart", TimeSpan.FromSeconds(30));
    }
}
