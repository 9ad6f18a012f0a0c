using System.Diagnostics;

namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// R clients, each in a loop: long-poll its own channel, receive a published response,
/// poll again. A publisher keeps publishing to every channel. Completed cycles/s.
/// </summary>
public static class LongPollScenario
{
    public static async Task<Dictionary<string, double>> RunAsync(Target target, int clients, TimeSpan duration, int batch, CancellationToken ct)
    {
        var latency = new LatencyRecorder();
        long cycles = 0;
        long errors = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channels = Enumerable.Range(0, clients).Select(i => "lp" + i).ToArray();
        var cpuBefore = ProcessMetrics.OwnCpu();
        var serverBefore = ProcessMetrics.CpuByPattern(target.ProcessPatterns);
        var clock = Stopwatch.StartNew();
        stop.CancelAfter(duration);
        var pollers = Enumerable.Range(0, clients).Select(async i =>
        {
            var request = ClientConnection.Get($"/poll/{channels[i]}");
            var lines = new MessageLines(latency);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var conn = await ClientConnection.ConnectAsync(target.Client, target.SourceFor(i), stop.Token).ConfigureAwait(false);
                    while (!stop.IsCancellationRequested)
                    {
                        await conn.SendAsync(request, stop.Token).ConfigureAwait(false);
                        var before = lines.Messages;
                        var (status, length, chunked) = await conn.ReadHeadAsync(stop.Token).ConfigureAwait(false);
                        await conn.ReadBodyAsync(length, chunked, lines.Feed, stop.Token).ConfigureAwait(false);
                        if (status == 200 && lines.Messages > before)
                        {
                            Interlocked.Increment(ref cycles);
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
        using var publisher = new Publisher(target.PublishApi);
        var publishing = Task.Run(async () =>
        {
            long seq = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    for (var start = 0; start < channels.Length && !stop.IsCancellationRequested; start += batch)
                    {
                        await publisher.PublishAsync(channels[start..Math.Min(channels.Length, start + batch)], seq, stop.Token).ConfigureAwait(false);
                    }
                    seq++;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);
        await Task.WhenAll(pollers).ConfigureAwait(false);
        await publishing.ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = (ProcessMetrics.OwnCpu() - cpuBefore).TotalSeconds;
        var serverAfter = ProcessMetrics.CpuByPattern(target.ProcessPatterns);
        var result = new Dictionary<string, double>
        {
            ["clients"] = clients,
            ["cycles_per_s"] = cycles / seconds,
            ["p50_ms"] = latency.PercentileMs(50),
            ["p99_ms"] = latency.PercentileMs(99),
            ["errors"] = errors,
            ["client_cpu_share"] = cpu / (seconds * Environment.ProcessorCount),
        };
        ProcessMetrics.AddCpuPerOp(result, serverBefore, serverAfter, target.ProcessPatterns, cycles);
        return result;
    }
}
