using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Stats;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Stats;

/// <summary>
/// Differential: Debian's Pushpin 1.36 handler publishes its stats on a tcp socket; every frame
/// it sends must decode with our codec, and pushpin-stats must read it.
/// </summary>
[CancelAfter(90000)]
public sealed class StatsUpstreamTests
{
    [Test]
    public async Task Every_frame_of_the_upstream_handler_decodes()
    {
        if (!UpstreamPushpin.IsInstalled)
        {
            Assert.Ignore("Debian pushpin is not installed");
        }
        var dir = Directory.CreateTempSubdirectory("pushpin-stats-upstream-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "run"));
        Directory.CreateDirectory(Path.Combine(dir, "log"));
        var httpPort = FreePorts.One();
        var statsPort = Random.Shared.Next(20000, 40000);
        int offset;
        do
        {
            offset = Random.Shared.Next(100, 1700) * 10;
        }
        while (!new[] { 5560, 5561, 5562, 5563, statsPort }.All(p => IsFree(p + offset)));
        await File.WriteAllTextAsync(Path.Combine(dir, "routes"), "* test\n");
        // port_offset shifts the stats tcp port too: the handler binds statsPort + offset.
        await File.WriteAllTextAsync(Path.Combine(dir, "pushpin.conf"), $"""
            [global]
            include={"{libdir}"}/internal.conf
            rundir={dir}/run
            ipc_prefix=pushpin-
            port_offset={offset}
            [runner]
            services=condure,zurl,pushpin-proxy,pushpin-handler
            http_port=127.0.0.1:{httpPort}
            logdir={dir}/log
            log_level=2
            condure_bin=condure
            zurl_bin=zurl
            [proxy]
            routesfile=routes
            sig_key=changeme
            zurl_out_specs=ipc://{"{rundir}"}/{"{ipc_prefix}"}zurl-in
            zurl_out_stream_specs=ipc://{"{rundir}"}/{"{ipc_prefix}"}zurl-in-stream
            zurl_in_specs=ipc://{"{rundir}"}/{"{ipc_prefix}"}zurl-out
            [handler]
            push_in_spec=tcp://127.0.0.1:5560
            push_in_sub_specs=tcp://127.0.0.1:5562
            push_in_http_addr=127.0.0.1
            push_in_http_port=5561
            command_spec=tcp://127.0.0.1:5563
            stats_spec=tcp://127.0.0.1:{statsPort}
            stats_report_interval=1
            """);
        var statsSpec = $"tcp://127.0.0.1:{statsPort + offset}";
        await using var runner = ChildProcess.Start(UpstreamPushpin.RunnerPath, ["--config", Path.Combine(dir, "pushpin.conf"), "--merge-output"], workingDirectory: dir);
        await using var monitor = ChildProcess.Start(Artifacts.Executable("pushpin-stats"), ["--raw", "--spec", statsSpec]);

        // The SUB socket lives on its own thread (NetMQ sockets are single-threaded).
        var frames = new ConcurrentQueue<byte[]>();
        using var stopReader = new CancellationTokenSource();
        var reader = new Thread(() =>
        {
            using var sub = new SubscriberSocket();
            sub.SubscribeToAnyTopic();
            sub.Connect(statsSpec);
            while (!stopReader.IsCancellationRequested)
            {
                if (sub.TryReceiveFrameBytes(TimeSpan.FromMilliseconds(100), out var frame))
                {
                    frames.Enqueue(frame);
                }
            }
        }) { IsBackground = true, Name = "stats reader" };
        reader.Start();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            var publishUri = new Uri($"http://127.0.0.1:{5561 + offset}/publish/");
            Task? held = null;
            string[] wanted = ["conn", "sub", "message", "activity", "counts", "report"];
            await Eventually.TrueAsync(async () =>
            {
                // A held stream request (the test route subscribes it to channel "test"), a plain
                // request, and a publish, until every kind of message has been seen.
                if (held is null || held.IsCompleted)
                {
                    held = http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/stream/"));
                }
                using var plain = await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/"));
                using var body = new StringContent("""{"items":[{"channel":"test","id":"m1","formats":{"http-stream":{"content":"hi\n"}}}]}""", Encoding.UTF8, "application/json");
                using var published = await http.PostAsync(publishUri, body);
                var types = frames.Select(f => Encoding.ASCII.GetString(f, 0, Math.Max(0, Array.IndexOf(f, (byte)' ')))).ToHashSet();
                return wanted.All(types.Contains);
            }, $"upstream stats of every kind\n{runner.Output}", TimeSpan.FromSeconds(60));

            var failures = new List<string>();
            foreach (var frame in frames)
            {
                if (!StatsCodec.TryDecode(frame, out _, out var error))
                {
                    failures.Add($"{error}: {Encoding.UTF8.GetString(frame)}");
                }
            }
            Assert.That(failures, Is.Empty);
            Assert.That(frames, Has.Count.GreaterThan(5));
            var message = frames.Select(f => StatsCodec.Decode(f)).First(p => p.Type == StatsPacketType.Message);
            Assert.That((message.Channel, message.ItemId, message.Transport), Is.EqualTo(("test", "m1", "http-stream")));
            await monitor.WaitForLineAsync("\"type\":\"report\"");
            Assert.That(monitor.Output, Does.Not.Contain("invalid stats frame"));
        }
        finally
        {
            await stopReader.CancelAsync();
            reader.Join(TimeSpan.FromSeconds(5));
            runner.Signal(15);
            try
            {
                await runner.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                // Killed by dispose.
            }
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    private static bool IsFree(int port)
    {
        if (port > 65535)
        {
            return false;
        }
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
