using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Client;

namespace Pushpin.Benchmarks.Connmgr;

/// <summary>
/// Client mode end to end in one process: a NetMQ zhttp requester (as the proxy) sends GETs
/// through connmgr's client mode to a minimal keep-alive HTTP/1.1 backend on loopback,
/// 32 requests in flight. One operation = one request answered. <see cref="PoolMaxIdle"/> 0 is
/// the old behaviour (a new connection and <c>Connection: close</c> per request); 64 keeps
/// connections alive per target.
/// </summary>
// In process: the run is sockets and threads, nothing a separate build would measure better,
// and a separate Release build takes minutes on a shared machine.
[InProcess]
[WarmupCount(2)]
[IterationCount(8)]
public class ClientModeBenchmarks
{
    private const int RequestsPerInvoke = 2000;
    private const int InFlight = 32;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _pending = new();
    private TcpListener _backend = null!;
    private CancellationTokenSource _stop = null!;
    private HttpClientMode _client = null!;
    private ZhttpRequester _requester = null!;
    private string _uri = null!;
    private int _next;

    [Params(0, 64)]
    public int PoolMaxIdle { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stop = new CancellationTokenSource();
        _backend = new TcpListener(IPAddress.Loopback, 0);
        _backend.Start(512);
        _ = AcceptLoopAsync(_stop.Token);
        _uri = $"http://127.0.0.1:{((IPEndPoint)_backend.LocalEndpoint).Port}/hello";
        var zbase = StartClient();
        _requester = new ZhttpRequester("bench", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{zbase}", bind: false), NullLogger.Instance, initialHighWatermark: 100_000);
        _requester.Start();
        _ = DispatchAsync(_stop.Token);
        // Wait until the requester's PUSH reaches connmgr.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!RunOne().Wait(TimeSpan.FromSeconds(1)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("client mode never answered");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _requester.Dispose();
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _backend.Stop();
    }

    [Benchmark(OperationsPerInvoke = RequestsPerInvoke)]
    public async Task GetThroughClientMode()
    {
        using var gate = new SemaphoreSlim(InFlight);
        var tasks = new Task[RequestsPerInvoke];
        for (var i = 0; i < RequestsPerInvoke; i++)
        {
            await gate.WaitAsync();
            tasks[i] = RunAndRelease(gate);
        }
        await Task.WhenAll(tasks);
    }

    private async Task RunAndRelease(SemaphoreSlim gate)
    {
        try
        {
            await RunOne();
        }
        finally
        {
            gate.Release();
        }
    }

    private Task RunOne()
    {
        var id = $"b-{Interlocked.Increment(ref _next)}";
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = done;
        _requester.SendInitial(new ZhttpPacket
        {
            From = "bench",
            Id = id,
            Seq = 0,
            Method = "GET",
            Uri = _uri,
            Headers = [new HttpHeader("Host", "127.0.0.1"), new HttpHeader("User-Agent", "bench")],
            Stream = true,
            RouterResp = true,
            Credits = 200_000,
            IgnorePolicies = true,
            Multi = true,
        });
        return done.Task;
    }

    private int StartClient()
    {
        for (var attempt = 0; ; attempt++)
        {
            var zbase = Random.Shared.Next(20_000, 40_000);
            try
            {
                _client = new HttpClientMode(new ClientOptions { ZhttpBase = $"tcp://127.0.0.1:{zbase}", PoolMaxIdlePerTarget = PoolMaxIdle }, NullLogger.Instance);
                _client.Start();
                return zbase;
            }
            catch (Exception) when (attempt < 20)
            {
                // Port taken: try another block.
            }
        }
    }

    private async Task DispatchAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var p in _requester.Incoming.ReadAllAsync(ct))
            {
                var final = p.Type is ZhttpPacketType.Error or ZhttpPacketType.Cancel || (p.Type == ZhttpPacketType.Data && !p.More);
                if (final && p.Id is not null && _pending.TryRemove(p.Id, out var done))
                {
                    done.TrySetResult(p.Type == ZhttpPacketType.Data);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Done.
        }
    }

    /// <summary>A minimal HTTP/1.1 server: answers every request head with a 5-byte body, keeps the connection unless told to close.</summary>
    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var socket = await _backend.AcceptSocketAsync(ct);
                _ = ServeAsync(socket, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private static async Task ServeAsync(Socket socket, CancellationToken ct)
    {
        var response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"u8.ToArray();
        var buffer = new byte[8192];
        var filled = 0;
        using (socket)
        {
            try
            {
                while (true)
                {
                    var n = await socket.ReceiveAsync(buffer.AsMemory(filled), ct);
                    if (n == 0)
                    {
                        return;
                    }
                    filled += n;
                    int end;
                    while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) >= 0)
                    {
                        var head = Encoding.Latin1.GetString(buffer, 0, end);
                        await socket.SendAsync(response, ct);
                        Buffer.BlockCopy(buffer, end + 4, buffer, 0, filled - end - 4);
                        filled -= end + 4;
                        if (head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase))
                        {
                            socket.Shutdown(SocketShutdown.Both);
                            return;
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Client gone.
            }
        }
    }
}
