using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.Proxy;

/// <summary>
/// Response sharing through the real processes, ours and Debian's 1.36 side by side: with
/// <c>[handler] share_all</c>, concurrent identical GETs to a slow backend make one backend
/// request and every client gets its response.
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class ResponseSharingEndToEndTests
{
    private const int Clients = 5;

    [Test]
    public async Task Concurrent_identical_gets_share_one_backend_request()
    {
        await using var backend = await SlowBackend.StartAsync();
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Server.Target}"], "pushpin.toml",
            (dir, port, offset) => PushpinCluster.DefaultToml(dir, port, offset, extraConfig: "share_all = true").Replace("log_level = \"2\"", "log_level = \"2,proxy:3\"", StringComparison.Ordinal));
        var bodies = await RunAsync(backend, pushpin.HttpPort, () => Count(pushpin.Runner, "shares the backend request"));
        Assert.Multiple(() =>
        {
            Assert.That(bodies, Has.All.EqualTo("news #1"), "every client gets the one response");
            Assert.That(backend.Requests, Is.EqualTo(1), "one backend request for all");
        });
    }

    [Test]
    public async Task Upstream_1_36_shares_the_same_way()
    {
        if (!UpstreamPushpin.IsInstalled)
        {
            Assert.Ignore("Debian pushpin is not installed");
        }
        await using var backend = await SlowBackend.StartAsync();
        await using var upstream = await UpstreamPushpin.StartAsync([$"* {backend.Server.Target}"], logLevel: 3, handlerConfig: "share_all=true");
        var bodies = await RunAsync(backend, upstream.HttpPort, () => Count(upstream.Runner, "reusing proxysession"));
        Assert.Multiple(() =>
        {
            Assert.That(bodies, Has.All.EqualTo("news #1"));
            Assert.That(backend.Requests, Is.EqualTo(1));
        });
    }

    /// <summary>Sends the GETs, waits until all but the first joined (the proxy's log says so), then lets the backend answer.</summary>
    private static async Task<string[]> RunAsync(SlowBackend backend, int httpPort, Func<int> joins)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Clients }) { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        // Requests passing before the backend is slowed (readiness probes) do not count.
        backend.Reset();
        var requests = Enumerable.Range(0, Clients).Select(async _ =>
        {
            using var r = await http.GetAsync(new Uri("/news", UriKind.Relative));
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            return await r.Content.ReadAsStringAsync();
        }).ToArray();
        await Eventually.TrueAsync(() => backend.Requests >= 1 && joins() >= Clients - 1, $"{Clients - 1} requests join the first", TimeSpan.FromSeconds(30));
        backend.Release();
        return await Task.WhenAll(requests);
    }

    private static int Count(ChildProcess process, string text) => process.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>A backend whose /news answers only once released, numbering its requests.</summary>
    private sealed class SlowBackend : IAsyncDisposable
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _requests;

        private SlowBackend(TestBackend server) => Server = server;

        public TestBackend Server { get; private set; }

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<SlowBackend> StartAsync()
        {
            SlowBackend? self = null;
            var server = await TestBackend.StartAsync(app => app.MapGet("/news", async (HttpContext ctx) =>
            {
                var n = Interlocked.Increment(ref self!._requests);
                await self._release.Task.WaitAsync(ctx.RequestAborted);
                return Results.Text("news #" + n, "text/plain");
            }));
            self = new SlowBackend(server);
            return self;
        }

        public void Reset() => Interlocked.Exchange(ref _requests, 0);

        public void Release() => _release.TrySetResult();

        public async ValueTask DisposeAsync()
        {
            Release();
            await Server.DisposeAsync();
        }
    }
}
