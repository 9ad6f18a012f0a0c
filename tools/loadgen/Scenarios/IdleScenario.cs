using System.Text;

namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// Opens N raw TCP connections to the client port and leaves them idle: the memory a server
/// spends per connection that is doing nothing (issue 3). <c>none</c> sends nothing,
/// <c>partial</c> sends half a request head, <c>keepalive</c> completes one keep-alive GET first.
/// RSS of the server processes is read before and after, per connection.
/// </summary>
public static class IdleScenario
{
    public static readonly string[] Modes = ["none", "partial", "keepalive"];

    public static async Task<(Dictionary<string, double> Result, List<ClientConnection> Open)> RunAsync(
        Target target, string mode, string path, int count, int concurrency, TimeSpan settle, CancellationToken ct)
    {
        if (!Modes.Contains(mode))
        {
            throw new ArgumentException($"unknown idle mode '{mode}' (none, partial, keepalive)", nameof(mode));
        }
        var partial = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\n");
        var rssBefore = ProcessMetrics.TotalRss(target.ProcessPatterns);
        var perBefore = target.ProcessPatterns.ToDictionary(p => p, p => ProcessMetrics.TotalRss([p]));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (open, failed) = await ConnectionOpener.OpenAsync(target, count, concurrency, async (conn, _, token) =>
        {
            if (mode == "partial")
            {
                await conn.SendAsync(partial, token).ConfigureAwait(false);
            }
            else if (mode == "keepalive")
            {
                await conn.SendAsync(ClientConnection.Get(path), token).ConfigureAwait(false);
                var (status, _) = await conn.ReadResponseAsync(token).ConfigureAwait(false);
                return status == 200;
            }
            return true;
        }, ct).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        // Let the server accept the last connections and settle (GC, freed buffers) before reading memory.
        await Task.Delay(settle, ct).ConfigureAwait(false);
        var rssAfter = ProcessMetrics.TotalRss(target.ProcessPatterns);
        var held = open.Count;
        var result = new Dictionary<string, double>
        {
            ["connections"] = held,
            ["failed"] = failed,
            ["connects_per_s"] = held / seconds,
            ["rss_before_mib"] = rssBefore / 1048576.0,
            ["rss_after_mib"] = rssAfter / 1048576.0,
            ["bytes_per_conn"] = held == 0 ? double.NaN : (rssAfter - rssBefore) / (double)held,
        };
        foreach (var p in target.ProcessPatterns)
        {
            if (held > 0)
            {
                result["bytes_per_conn_" + p] = Math.Round((ProcessMetrics.TotalRss([p]) - perBefore[p]) / (double)held);
            }
        }
        return (result, open);
    }
}
