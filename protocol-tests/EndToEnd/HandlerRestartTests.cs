using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd;

/// <summary>
/// The handler is disposable: killing it never interrupts plain proxied traffic, the runner
/// brings it back, and GRIP holds work again afterwards.
/// </summary>
[NonParallelizable]
[CancelAfter(120000)]
public sealed class HandlerRestartTests
{
    [Test]
    public async Task Killing_the_handler_leaves_plain_traffic_flowing_and_it_comes_back()
    {
        await using var backend = await TestBackend.StartAsync(app =>
        {
            app.MapGet("/plain", () => Results.Text("plain\n"));
            app.MapGet("/stream", (HttpContext ctx) =>
            {
                ctx.Response.Headers["Grip-Hold"] = "stream";
                ctx.Response.Headers["Grip-Channel"] = "restart";
                return Results.Text("open\n");
            });
        });
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"]);
        using var http = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(10) };

        var handler = ProcessTree.Children(pushpin.Runner.Pid, "pushpin-handler").Single();
        using (var kill = System.Diagnostics.Process.Start("kill", $"-9 {handler}"))
        {
            await kill!.WaitForExitAsync();
        }

        for (var i = 0; i < 100; i++)
        {
            using var r = await http.GetAsync(new Uri("/plain", UriKind.Relative));
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"request {i} while the handler is down or restarting");
            Assert.That(await r.Content.ReadAsStringAsync(), Is.EqualTo("plain\n"));
        }

        await pushpin.Runner.WaitForLineAsync("restarting handler");
        await Eventually.TrueAsync(() => ProcessTree.Children(pushpin.Runner.Pid, "pushpin-handler").Any(p => p != handler), "a new handler process");
        await pushpin.WaitReadyAsync();

        // A new hold after the restart is served and receives publishes.
        await Eventually.TrueAsync(async () =>
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
            using var content = new StringContent("{\"items\":[{\"channel\":\"restart\",\"formats\":{\"http-stream\":{\"content\":\"back\\n\"}}}]}");
            using var published = await publisher.PostAsync(pushpin.PublishUri, content);
            return await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5)) == "back";
        }, "a GRIP stream hold works after the handler restart", TimeSpan.FromSeconds(30));
    }
}
