using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.Handler;

/// <summary>The real proxy's inspect calls reach the real handler, which answers them.</summary>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class InspectEndToEndTests
{
    [Test]
    public async Task Proxy_keeps_the_handler_available_for_inspect_while_requests_flow()
    {
        await using var backend = await TestBackend.StartAsync(app => app.MapGet("/plain", () => Results.Text("hello\n", "text/plain")));
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"]);
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(20) };

        // At start-up the proxy may have asked before the handler connected (then it logs the
        // handler unavailable and probes): requests through it end with inspect available.
        await Eventually.TrueAsync(async () =>
        {
            Assert.That(await client.GetStringAsync(new Uri("/plain", UriKind.Relative)), Is.EqualTo("hello\n"));
            return LastInspectState(pushpin.Runner.Output) is null or "available again";
        }, "inspect available\n" + pushpin.Runner.Output, TimeSpan.FromSeconds(30));

        for (var i = 0; i < 5; i++)
        {
            Assert.That(await client.GetStringAsync(new Uri($"/plain?n={i}", UriKind.Relative)), Is.EqualTo("hello\n"));
        }
        Assert.That(LastInspectState(pushpin.Runner.Output), Is.Null.Or.EqualTo("available again"), pushpin.Runner.Output);
        lock (backend.Requests)
        {
            Assert.That(backend.Requests.Count(r => r.PathAndQuery.StartsWith("/plain", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(6), "inspect answers no-proxy=false: every request reached the backend");
        }
    }

    // The proxy logs each change: "inspect: handler unavailable (...)" / "inspect: handler available again".
    private static string? LastInspectState(string output)
    {
        const string marker = "inspect: handler ";
        var at = output.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var rest = output[(at + marker.Length)..];
        var end = rest.IndexOf('\n', StringComparison.Ordinal);
        var state = end < 0 ? rest : rest[..end];
        return state.StartsWith("available again", StringComparison.Ordinal) ? "available again" : state.Trim();
    }
}
