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
        var open = new List<ClientConnection>(count);
        var gate = new SemaphoreSlim(concurrency);
        long failed = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var conn = await ClientConnection.ConnectAsync(target.Client, target.SourceFor(i), ct).ConfigureAwait(false);
                if (mode == "partial")
                {
                    await conn.SendAsync(partial, ct).ConfigureAwait(false);
                }
                else if (mode == "keepalive")
                {
                    await conn.SendAsync(ClientConnection.Get(path), ct).ConfigureAwait(false);
                    var (status, _) = await conn.ReadResponseAsync(ct).ConfigureAwait(false);
                    if (status != 200)
                    {
                        Interlocked.Increment(ref failed);
                        await conn.DisposeAsync().ConfigureAwait(false);
                        return;
                    }
                }
                lock (open)
                {
                    open.Add(conn);
                }
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
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
