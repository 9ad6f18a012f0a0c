using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>
/// Raw WebSocket flow control end to end: a side that stops reading holds the other side back
/// (credits are returned only as bytes reach the far socket), so the proxy and connmgr hold a
/// bounded amount whatever the sender pushes, and everything arrives once reading resumes.
/// </summary>
/// <remarks>
/// The client's socket buffers are fixed small (no kernel autotuning), so what piles up must be
/// somewhere in our processes unless they push back. The main check is that the sender stalls
/// with most of the 30 MiB flood unsent (it stalls after 5–8 MiB: what the kernel buffers on the
/// far side hold). The daemons' RSS is checked too, but only against a gross bound: a Debug
/// daemon's RSS moves by up to ±25 MiB between garbage collections whatever the traffic
/// (measured: +17 MiB and -25 MiB in otherwise identical runs).
/// </remarks>
[NonParallelizable]
[CancelAfter(180_000)]
public sealed class RawFlowControlTests
{
    private const int MessageSize = 64 * 1024;
    private const int Messages = 480; // 30 MiB
    private const long Total = (long)MessageSize * Messages;
    private const long RssBound = 40 * 1024 * 1024;

    private TestBackend _backend = null!;
    private PushpinCluster _pushpin = null!;
    private long _floodSent;
    private long _sinkReceived;
    private TaskCompletionSource _sinkRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _backend = await TestBackend.StartAsync(app =>
        {
            app.UseWebSockets();
            app.Map("/flood", async (HttpContext ctx) =>
            {
                using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
                for (var i = 0; i < Messages; i++)
                {
                    await ws.SendAsync(Pattern(i), WebSocketMessageType.Binary, true, ctx.RequestAborted);
                    Interlocked.Add(ref _floodSent, MessageSize);
                }
                await DrainAsync(ws, ctx.RequestAborted, _ => { });
            });
            app.Map("/drain", async (HttpContext ctx) =>
            {
                using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
                await DrainAsync(ws, ctx.RequestAborted, _ => { });
            });
            app.Map("/sink", async (HttpContext ctx) =>
            {
                using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
                await _sinkRelease.Task.WaitAsync(ctx.RequestAborted);
                await DrainAsync(ws, ctx.RequestAborted, n => Interlocked.Add(ref _sinkReceived, n));
            });
        });
        _pushpin = await PushpinCluster.StartAsync([$"* {_backend.Target}"]);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _pushpin.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [TearDown]
    public void ShowLogOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(string.Join('\n', _pushpin.Runner.Lines.TakeLast(40)));
        }
    }

    [Test]
    public async Task Backend_flood_to_a_client_that_stops_reading_stays_bounded_and_arrives_later(CancellationToken ct)
    {
        var (proxyBefore, connmgrBefore) = await WarmUpAndMeasureAsync(ct);
        using var ws = await ConnectSmallBuffersAsync("flood", ct);
        // The client reads nothing: the backend pushes until something pushes back (what it gets
        // out then sits in kernel buffers, which autotune, so it is logged, not asserted).
        var sent = await SettledAsync(() => Interlocked.Read(ref _floodSent), ct);
        var (proxyStalled, connmgrStalled) = Rss();
        TestContext.Out.WriteLine($"backend sent {sent} of {Total} before stalling; proxy RSS +{proxyStalled - proxyBefore}, connmgr RSS +{connmgrStalled - connmgrBefore}");
        Assert.Multiple(() =>
        {
            Assert.That(sent, Is.LessThan(Total / 2), "the backend is held back");
            Assert.That(proxyStalled - proxyBefore, Is.LessThan(RssBound), "proxy memory stays bounded");
            Assert.That(connmgrStalled - connmgrBefore, Is.LessThan(RssBound), "connmgr memory stays bounded");
        });
        for (var i = 0; i < Messages; i++)
        {
            var (type, data, _) = await WsClients.ReceiveAsync(ws, ct, TimeSpan.FromSeconds(60));
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(data, Is.EqualTo(Pattern(i)), $"message {i} arrives whole and in order");
        }
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
    }

    [Test]
    public async Task Client_flood_to_a_backend_that_stops_reading_stays_bounded_and_arrives_later(CancellationToken ct)
    {
        var (proxyBefore, connmgrBefore) = await WarmUpAndMeasureAsync(ct);
        using var ws = await ConnectSmallBuffersAsync("sink", ct);
        long clientSent = 0;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < Messages; i++)
            {
                await ws.SendAsync(Pattern(i), WebSocketMessageType.Binary, true, ct);
                Interlocked.Add(ref clientSent, MessageSize);
            }
        }, ct);
        var sent = await SettledAsync(() => Interlocked.Read(ref clientSent), ct);
        var (proxyStalled, connmgrStalled) = Rss();
        TestContext.Out.WriteLine($"client sent {sent} of {Total} before stalling; proxy RSS +{proxyStalled - proxyBefore}, connmgr RSS +{connmgrStalled - connmgrBefore}");
        Assert.Multiple(() =>
        {
            Assert.That(sent, Is.LessThan(Total / 2), "the client is held back");
            Assert.That(proxyStalled - proxyBefore, Is.LessThan(RssBound), "proxy memory stays bounded");
            Assert.That(connmgrStalled - connmgrBefore, Is.LessThan(RssBound), "connmgr memory stays bounded");
        });
        _sinkRelease.TrySetResult();
        await sending;
        await Eventually.TrueAsync(() => Interlocked.Read(ref _sinkReceived) == Total, $"the backend gets all {Total} bytes", TimeSpan.FromSeconds(60));
    }

    private static byte[] Pattern(int i)
    {
        var data = new byte[MessageSize];
        data.AsSpan().Fill((byte)i);
        data[0] = (byte)(i >> 8);
        return data;
    }

    private static async Task DrainAsync(WebSocket ws, CancellationToken ct, Action<int> received)
    {
        var buffer = new byte[MessageSize];
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, ct);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                    return;
                }
                received(r.Count);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away.
        }
    }

    // A round of traffic each way first, so the RSS baseline includes warmed-up pools and JIT.
    private async Task<(long Proxy, long Connmgr)> WarmUpAndMeasureAsync(CancellationToken ct)
    {
        Interlocked.Exchange(ref _floodSent, 0);
        using (var ws = await ConnectSmallBuffersAsync("flood", ct))
        {
            for (var i = 0; i < Messages; i++)
            {
                await WsClients.ReceiveAsync(ws, ct, TimeSpan.FromSeconds(60));
            }
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "warm", ct);
        }
        using (var ws = await ConnectSmallBuffersAsync("drain", ct))
        {
            for (var i = 0; i < Messages; i++)
            {
                await ws.SendAsync(Pattern(i), WebSocketMessageType.Binary, true, ct);
            }
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "warm", ct);
        }
        Interlocked.Exchange(ref _floodSent, 0);
        return Rss();
    }

    private async Task<ClientWebSocket> ConnectSmallBuffersAsync(string path, CancellationToken ct)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                // Fixed small buffers: the kernel cannot absorb the flood for us.
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 32 * 1024, SendBufferSize = 32 * 1024 };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_pushpin.HttpPort}/{path}"), new HttpMessageInvoker(handler), ct);
        return ws;
    }

    // Polls until the counter has not moved for a second (the sender is blocked).
    private static async Task<long> SettledAsync(Func<long> counter, CancellationToken ct)
    {
        var last = counter();
        var still = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (still < 4)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the sender never settled");
            await Task.Delay(250, ct);
            var now = counter();
            still = now == last && now > 0 ? still + 1 : 0;
            last = now;
        }
        return last;
    }

    private (long Proxy, long Connmgr) Rss() =>
        (RssOf(ProcessTree.Children(_pushpin.Runner.Pid, "pushpin-proxy").Single()),
         RssOf(ProcessTree.Children(_pushpin.Runner.Pid, "pushpin-connmgr").Single()));

    private static long RssOf(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS for " + pid.ToString(CultureInfo.InvariantCulture));
    }
}
