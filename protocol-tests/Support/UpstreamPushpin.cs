using System.Net;
using System.Net.Sockets;

namespace Pushpin.ProtocolTests.Support;

/// <summary>
/// Debian's Pushpin 1.36 (<c>/usr/bin/pushpin</c> with condure and zurl) on ports picked at
/// run time, for differential tests: the same scenario against it and against ours.
/// </summary>
public sealed class UpstreamPushpin : IAsyncDisposable
{
    public const string RunnerPath = "/usr/bin/pushpin";

    private UpstreamPushpin(string directory, int httpPort, int portOffset, ChildProcess runner)
    {
        Directory = directory;
        HttpPort = httpPort;
        PortOffset = portOffset;
        Runner = runner;
    }

    public static bool IsInstalled => File.Exists(RunnerPath);

    public string Directory { get; }

    public int HttpPort { get; }

    public int PortOffset { get; }

    public ChildProcess Runner { get; }

    public int PublishHttpPort => 5561 + PortOffset;

    /// <summary>Starts 1.36 with <paramref name="routes"/>; <paramref name="handlerConfig"/> lines go into <c>[handler]</c>.</summary>
    public static async Task<UpstreamPushpin> StartAsync(IEnumerable<string> routes, int logLevel = 2, string handlerConfig = "")
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("pushpin-upstream-").FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "run"));
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "log"));
        var httpPort = FreePorts.One();
        int offset;
        do
        {
            offset = Random.Shared.Next(100, 1700) * 10;
        }
        while (!new[] { 5560, 5561, 5562, 5563 }.All(p => IsFree(p + offset)));
        await File.WriteAllLinesAsync(Path.Combine(dir, "routes"), routes);
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
            log_level={logLevel}
            client_buffer_size=8192
            client_maxconn=50000
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
            stats_spec=ipc://{"{rundir}"}/{"{ipc_prefix}"}stats
            message_rate=0
            message_hwm=1000000
            {handlerConfig}
            """);
        var runner = ChildProcess.Start(RunnerPath, ["--config", Path.Combine(dir, "pushpin.conf"), "--merge-output"], workingDirectory: dir);
        var upstream = new UpstreamPushpin(dir, httpPort, offset, runner);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await Eventually.TrueAsync(async () =>
            {
                using var api = await http.GetAsync(new Uri($"http://127.0.0.1:{upstream.PublishHttpPort}/"));
                using var client = await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/"));
                return api.IsSuccessStatusCode;
            }, $"upstream pushpin ready\n{runner.Output}", TimeSpan.FromSeconds(30));
        }
        catch
        {
            await upstream.DisposeAsync();
            throw;
        }
        return upstream;
    }

    private static bool IsFree(int port)
    {
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

    public async ValueTask DisposeAsync()
    {
        if (!Runner.HasExited)
        {
            Runner.Signal(15);
            try
            {
                await Runner.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                // Killed below.
            }
        }
        await Runner.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
