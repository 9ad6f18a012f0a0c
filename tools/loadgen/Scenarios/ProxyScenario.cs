using System.Diagnostics;
using System.Net;

namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// Plain GETs through the proxy on keep-alive connections for a fixed time: requests/s and
/// latency percentiles. Run it against the backend directly for the ratio.
/// </summary>
public static class ProxyScenario
{
    public static async Task<Dictionary<string, double>> RunAsync(IPEndPoint endpoint, string path, int connections, TimeSpan duration, CancellationToken ct, IReadOnlyList<string>? serverProcesses = null, TimeSpan warmup = default)
    {
        if (warmup > TimeSpan.Zero)
        {
            // Same load, results dropped: a .NET server runs its first seconds in unoptimized
            // (tier-0) code and can be 3-4x slower until the JIT has recompiled the hot path.
            await RunAsync(endpoint, path, connections, warmup, ct).ConfigureAwait(false);
        }
        var latency = new LatencyRecorder();
        long completed = 0;
        long errors = 0;
        var request = ClientConnection.Get(path);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cpuBefore = ProcessMetrics.OwnCpu();
        var patterns = serverProcesses ?? [];
        var serverBefore = ProcessMetrics.CpuByPattern(patterns);
        var clock = Stopwatch.StartNew();
        stop.CancelAfter(duration);
        var workers = Enumerable.Range(0, connections).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var conn = await ClientConnection.ConnectAsync(endpoint, null, stop.Token).ConfigureAwait(false);
                    while (!stop.IsCancellationRequested)
                    {
                        var start = Stopwatch.GetTimestamp();
                        await conn.SendAsync(request, stop.Token).ConfigureAwait(false);
                        var (status, _) = await conn.ReadResponseAsync(stop.Token).ConfigureAwait(false);
                        latency.Add(Stopwatch.GetTimestamp() - start);
                        if (status == 200)
                        {
                            Interlocked.Increment(ref completed);
                        }
                        else
                        {
                            Interlocked.Increment(ref errors);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = (ProcessMetrics.OwnCpu() - cpuBefore).TotalSeconds;
        var serverAfter = ProcessMetrics.CpuByPattern(patterns);
        var result = new Dictionary<string, double>
        {
            ["req_per_s"] = completed / seconds,
            ["p50_ms"] = latency.PercentileMs(50),
            ["p99_ms"] = latency.PercentileMs(99),
            ["errors"] = errors,
            ["connections"] = connections,
            ["warmup_s"] = warmup.TotalSeconds,
            ["client_cpu_share"] = cpu / (seconds * Environment.ProcessorCount),
        };
        ProcessMetrics.AddCpuPerOp(result, serverBefore, serverAfter, patterns, completed);
        return result;
    }
}
