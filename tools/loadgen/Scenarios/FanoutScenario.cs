using System.Diagnostics;

namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// S subscribers (stream holds) on C channels; M messages per channel published over HTTP as
/// fast as the API accepts them. Deliveries/s from the first publish to the last delivery,
/// and publish-to-delivery latency. With C = 1 this is fan-out; with C = S, many-channel.
/// With a ZeroMQ spec the messages go to the handler's PUSH input instead, in bursts of
/// <c>burst</c> messages (the next burst once the previous one was delivered everywhere).
/// </summary>
public static class FanoutScenario
{
    public static async Task<Dictionary<string, double>> RunAsync(Target target, string channelPrefix, int subscribers, int channels, int messages, int batch, int publishers, CancellationToken ct, string? zmqSpec = null, int burst = 200)
    {
        var latency = new LatencyRecorder();
        var readers = new List<(ClientConnection Conn, MessageLines Lines)>();
        long failedSubscribes = 0;
        // Subscribe: subscriber i listens on channel i % channels.
        var gate = new SemaphoreSlim(200);
        var subscribeTasks = Enumerable.Range(0, subscribers).Select(async i =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var conn = await ClientConnection.ConnectAsync(target.Client, target.SourceFor(i), ct).ConfigureAwait(false);
                await conn.SendAsync(ClientConnection.Get($"/stream/{channelPrefix}{i % channels}"), ct).ConfigureAwait(false);
                var (status, _, chunked) = await conn.ReadHeadAsync(ct).ConfigureAwait(false);
                if (status != 200)
                {
                    Interlocked.Increment(ref failedSubscribes);
                    await conn.DisposeAsync().ConfigureAwait(false);
                    return ((ClientConnection, MessageLines, bool)?)null;
                }
                var lines = new MessageLines(latency);
                lock (readers)
                {
                    readers.Add((conn, lines));
                }
                return (conn, lines, chunked);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                Interlocked.Increment(ref failedSubscribes);
                return null;
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        var subscribed = (await Task.WhenAll(subscribeTasks).ConfigureAwait(false))
            .Where(s => s is not null).Select(s => (conn: s!.Value.Item1, lines: s.Value.Item2, chunked: s.Value.Item3)).ToArray();
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var readLoops = subscribed.Select(s => Task.Run(async () =>
        {
            try
            {
                await s.conn.ReadBodyAsync(-1, s.chunked, s.lines.Feed, stopReading.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                // Stopped.
            }
        }, CancellationToken.None)).ToArray();

        // Initial bodies ("stream open") are not messages; the subscription is active once
        // the initial response arrived, so publishing can start now.
        var settle = await ProcessMetrics.WaitForQuietAsync(target.ProcessPatterns, 0.15, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        var expected = (long)subscribed.Length * messages;
        using var publisher = new Publisher(target.PublishApi);
        if (zmqSpec is null)
        {
            // Open the publish connections (and compile the client's publish path) before the clock
            // starts, on a channel nobody listens to.
            for (var round = 0; round < 3; round++)
            {
                await Task.WhenAll(Enumerable.Range(0, publishers).Select(_ => publisher.PublishAsync(["loadgen-warmup"], 0, ct))).ConfigureAwait(false);
            }
        }
        var cpuBefore = ProcessMetrics.OwnCpu();
        var serverBefore = ProcessMetrics.CpuByPattern(target.ProcessPatterns);
        var clock = Stopwatch.StartNew();
        var channelNames = Enumerable.Range(0, channels).Select(c => channelPrefix + c).ToArray();
        // Work items are (message, batch of channels): the publishers share them, so many
        // channels with one message each are published as concurrently as many messages are.
        var batches = (channelNames.Length + batch - 1) / batch;
        long nextItem = -1;
        var publishTasks = zmqSpec is not null
            ? [Task.Run(() => PublishBurstsAsync(zmqSpec, channelNames, messages, burst, subscribed.Select(s => s.lines).ToArray(), ct), ct)]
            : Enumerable.Range(0, publishers).Select(async _ =>
        {
            long item;
            while ((item = Interlocked.Increment(ref nextItem)) < (long)messages * batches)
            {
                var seq = item / batches;
                var start = (int)(item % batches) * batch;
                await publisher.PublishAsync(channelNames[start..Math.Min(channelNames.Length, start + batch)], seq, ct).ConfigureAwait(false);
            }
        }).ToArray();
        await Task.WhenAll(publishTasks).ConfigureAwait(false);
        var publishSeconds = clock.Elapsed.TotalSeconds;
        var deadline = Stopwatch.StartNew();
        long delivered = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            delivered = subscribed.Sum(s => s.lines.Messages);
            if (delivered >= expected)
            {
                break;
            }
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var serverAfter = ProcessMetrics.CpuByPattern(target.ProcessPatterns);
        var cpu = (ProcessMetrics.OwnCpu() - cpuBefore).TotalSeconds;
        await stopReading.CancelAsync().ConfigureAwait(false);
        foreach (var s in subscribed)
        {
            await s.conn.DisposeAsync().ConfigureAwait(false);
        }
        await Task.WhenAll(readLoops).ConfigureAwait(false);
        var result = new Dictionary<string, double>
        {
            ["subscribers"] = subscribed.Length,
            ["failed_subscribes"] = failedSubscribes,
            ["channels"] = channels,
            ["messages"] = messages,
            ["delivered"] = delivered,
            ["lost"] = expected - delivered,
            ["deliveries_per_s"] = delivered / seconds,
            ["publish_s"] = publishSeconds,
            ["settle_s"] = Math.Round(settle.TotalSeconds, 2),
            ["p50_ms"] = latency.PercentileMs(50),
            ["p99_ms"] = latency.PercentileMs(99),
            ["client_cpu_share"] = cpu / (seconds * Environment.ProcessorCount),
        };
        ProcessMetrics.AddCpuPerOp(result, serverBefore, serverAfter, target.ProcessPatterns, delivered);
        return result;
    }

    // Bursts over PUSH: one burst in flight at a time (up to 30 s each), so a loss shows as
    // "lost" instead of stalling the run.
    private static async Task PublishBurstsAsync(string spec, string[] channels, int messages, int burst, MessageLines[] lines, CancellationToken ct)
    {
        using var zmq = new ZmqPublisher(spec);
        for (long seq = 0; seq < messages;)
        {
            var end = Math.Min(messages, seq + burst);
            for (; seq < end; seq++)
            {
                foreach (var c in channels)
                {
                    if (!zmq.Publish(c, seq))
                    {
                        throw new InvalidOperationException($"ZeroMQ publish to {spec} blocked");
                    }
                }
            }
            var target = (long)lines.Length * end;
            var wait = System.Diagnostics.Stopwatch.StartNew();
            while (lines.Sum(l => l.Messages) < target && wait.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(2, ct).ConfigureAwait(false);
            }
        }
    }
}
