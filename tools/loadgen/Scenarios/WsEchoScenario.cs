using System.Diagnostics;
using System.Net.WebSockets;

namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// N WebSocket clients each send a message and wait for its echo, in a loop, for a fixed time:
/// round trips/s (two messages each), latency percentiles. Shared by <c>wsoverhttp</c> and <c>wsraw</c>.
/// </summary>
public static class WsEchoScenario
{
    public static async Task<Dictionary<string, double>> RunAsync(Uri uri, byte[] payload, int connections, TimeSpan duration, CancellationToken ct)
    {
        var clients = new ClientWebSocket[connections];
        for (var i = 0; i < connections; i++)
        {
            clients[i] = new ClientWebSocket();
            await clients[i].ConnectAsync(uri, ct).ConfigureAwait(false);
        }
        var latency = new LatencyRecorder();
        long completed = 0;
        long errors = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clock = Stopwatch.StartNew();
        stop.CancelAfter(duration);
        var workers = clients.Select(async ws =>
        {
            var buffer = new byte[4096];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var start = Stopwatch.GetTimestamp();
                    await ws.SendAsync(payload, WebSocketMessageType.Text, true, stop.Token).ConfigureAwait(false);
                    WebSocketReceiveResult r;
                    do
                    {
                        r = await ws.ReceiveAsync(buffer, stop.Token).ConfigureAwait(false);
                    }
                    while (!r.EndOfMessage);
                    latency.Add(Stopwatch.GetTimestamp() - start);
                    Interlocked.Increment(ref completed);
                }
            }
            catch (OperationCanceledException)
            {
                // Time is up.
            }
            catch (WebSocketException)
            {
                Interlocked.Increment(ref errors);
            }
        }).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var ws in clients)
        {
            ws.Abort();
            ws.Dispose();
        }
        return new Dictionary<string, double>
        {
            ["round_trips_per_s"] = completed / seconds,
            ["messages_per_s"] = 2 * completed / seconds,
            ["p50_ms"] = latency.PercentileMs(50),
            ["p99_ms"] = latency.PercentileMs(99),
            ["errors"] = errors,
            ["connections"] = connections,
        };
    }
}
