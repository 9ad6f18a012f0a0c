using System.Diagnostics;

namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// Opens N idle stream holds and keeps them: establish rate (holds whose initial body
/// arrived per second) and the RSS of all server processes before and after, per connection.
/// </summary>
public static class HoldScenario
{
    public static async Task<(Dictionary<string, double> Result, List<ClientConnection> Open)> RunAsync(Target target, string pathPrefix, int count, int concurrency, CancellationToken ct)
    {
        var rssBefore = ProcessMetrics.TotalRss(target.ProcessPatterns);
        var perBefore = target.ProcessPatterns.ToDictionary(p => p, p => ProcessMetrics.TotalRss([p]));
        var cpuBefore = ProcessMetrics.OwnCpu();
        var clock = Stopwatch.StartNew();
        var (open, failed) = await ConnectionOpener.OpenAsync(target, count, concurrency, async (conn, i, token) =>
        {
            await conn.SendAsync(ClientConnection.Get($"{pathPrefix}{i}"), token).ConfigureAwait(false);
            var (status, _, chunked) = await conn.ReadHeadAsync(token).ConfigureAwait(false);
            return status == 200 && chunked;
        }, ct).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = (ProcessMetrics.OwnCpu() - cpuBefore).TotalSeconds;
        // Let the servers settle (GC, lazily freed buffers) before reading memory.
        await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
        var rssAfter = ProcessMetrics.TotalRss(target.ProcessPatterns);
        var held = open.Count;
        var result = new Dictionary<string, double>
        {
            ["holds"] = held,
            ["failed"] = failed,
            ["holds_per_s"] = held / seconds,
            ["rss_before_mib"] = rssBefore / 1048576.0,
            ["rss_after_mib"] = rssAfter / 1048576.0,
            ["bytes_per_hold"] = held == 0 ? double.NaN : (rssAfter - rssBefore) / (double)held,
            ["client_cpu_share"] = cpu / (seconds * Environment.ProcessorCount),
        };
        // Where the memory goes: each daemon's share of the bytes per hold.
        foreach (var p in target.ProcessPatterns)
        {
            if (held > 0)
            {
                result["bytes_per_hold_" + p] = Math.Round((ProcessMetrics.TotalRss([p]) - perBefore[p]) / (double)held);
            }
        }
        return (result, open);
    }
}
