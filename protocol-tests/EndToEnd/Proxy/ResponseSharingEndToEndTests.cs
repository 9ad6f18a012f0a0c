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
        var (bodies, backendRequests) = await RunAsync(backend, pushpin.HttpPort, () => Count(pushpin.Runner, "shares the backend request"), () => pushpin.Runner.Output);
        Assert.Multiple(() =>
        {
            Assert.That(bodies, Has.All.EqualTo("news #1"), "every client gets the one response");
            Assert.That(backendRequests, Is.EqualTo(1), "one backend request for all");
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
        var (bodies, backendRequests) = await RunAsync(backend, upstream.HttpPort, () => Count(upstream.Runner, "reusing proxysession"), () => upstream.Runner.Output);
        Assert.Multiple(() =>
        {
            Assert.That(bodies, Has.All.EqualTo("news #1"));
            Assert.That(backendRequests, Is.EqualTo(1));
        });
    }

    /// <summary>
    /// Rounds of concurrent GETs, each round its own URI (so its own sharing key): once every
    /// request of a round joined (the proxy's log says so) or reached the backend, the backend
    /// answers. Until the handler has answered an inspect call, both proxies send requests
    /// without inspect (so without sharing) and probe it now and then: rounds go on, for 30 s
    /// at most, until one shares. Returns that round's bodies and backend requests (or the last's).
    /// </summary>
    private static async Task<(string[] Bodies, int BackendRequests)> RunAsync(SlowBackend backend, int httpPort, Func<int> joins, Func<string> log)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Clients }) { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        (string[] Bodies, int BackendRequests) result = ([], 0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var round = 0; DateTime.UtcNow < deadline; round++)
        {
            var joinsBefore = joins();
            backend.StartRound();
            var path = "/news?round=" + round;
            var requests = Enumerable.Range(0, Clients).Select(async _ =>
            {
                using var r = await http.GetAsync(new Uri(path, UriKind.Relative));
                Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                return await r.Content.ReadAsStringAsync();
            }).ToArray();
            try
            {
                await Eventually.TrueAsync(() => backend.Requests >= 1 && joins() - joinsBefore + backend.Requests >= Clients, "every request joined or reached the backend", TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"{joins() - joinsBefore} requests joined, {backend.Requests} backend requests; log:\n{log()}");
            }
            var requestsThisRound = backend.Requests;
            backend.Release();
            result = (await Task.WhenAll(requests), requestsThisRound);
            if (requestsThisRound == 1)
            {
                break;
            }
        }
        return result;
    }

    private static int Count(ChildProcess process, string text) => process.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>A backend whose /news answers only once the round is released, numbering the round's requests.</summary>
    private sealed class SlowBackend : IAsyncDisposable
    {
        private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _requests;

        private SlowBackend(TestBackend server) => Server = server;

        public TestBackend Server { get; }

        /// <summary>Requests of the current round.</summary>
        public int Requests => Volatile.Read(ref _requests);

        public static async Task<SlowBackend> StartAsync()
        {
            SlowBackend? self = null;
            var server = await TestBackend.StartAsync(app => app.MapGet("/news", async (HttpContext ctx) =>
            {
                var release = Volatile.Read(ref self!._release);
                var n = Interlocked.Increment(ref self._requests);
                await release.Task.WaitAsync(ctx.RequestAborted);
                return Results.Text("news #" + n, "text/plain");
            }));
            self = new SlowBackend(server);
            return self;
        }

        public void StartRound()
        {
            Volatile.Write(ref _release, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Interlocked.Exchange(ref _requests, 0);
        }

        public void Release() => Volatile.Read(ref _release).TrySetResult();

        public async ValueTask DisposeAsync()
        {
            Release();
            await Server.DisposeAsync();
        }
    }
}
