using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pushpin.ProtocolTests.Support;

/// <summary>
/// A whole Pushpin (the real <c>pushpin-runner</c> and its three daemons as processes) on
/// ports picked at run time: a config in a temp folder shifts every internal and publish
/// port by a free <c>port_offset</c>, and clients get their own free port.
/// </summary>
public sealed class PushpinCluster : IAsyncDisposable
{
    // Every port the default config uses, before port_offset (docs/designs/topology.md).
    private static readonly int[] OffsetPorts =
    [
        5560, 5561, 5562, 5563, 5564,
        14500, 14501, 14502, 14505, 14506, 14507,
        14600, 14601, 14602, 14603, 14604, 14605, 14606, 14607, 14608, 14609,
    ];

    private PushpinCluster(string directory, int httpPort, int portOffset, ChildProcess runner)
    {
        Directory = directory;
        HttpPort = httpPort;
        PortOffset = portOffset;
        Runner = runner;
    }

    public string Directory { get; }

    public int HttpPort { get; }

    public int PortOffset { get; }

    public ChildProcess Runner { get; }

    public int PublishHttpPort => 5561 + PortOffset;

    public int PublishPullPort => 5560 + PortOffset;

    public int PublishSubPort => 5562 + PortOffset;

    public int CommandPort => 5563 + PortOffset;

    public int StatsPort => 5564 + PortOffset;

    public Uri BaseUri => new($"http://127.0.0.1:{HttpPort}/");

    public Uri PublishUri => new($"http://127.0.0.1:{PublishHttpPort}/publish/");

    public string RoutesFile => Path.Combine(Directory, "routes");

    /// <summary>
    /// Writes the config and routes, starts the runner and waits until a client request and
    /// the publish API both answer.
    /// </summary>
    /// <param name="proxyConfig">Extra lines for the <c>[proxy]</c> section.</param>
    public static Task<PushpinCluster> StartAsync(IEnumerable<string> routes, string extraConfig = "", IEnumerable<string>? runnerArgs = null, string proxyConfig = "") =>
        StartAsync(routes, "pushpin.toml", (dir, httpPort, offset) => DefaultToml(dir, httpPort, offset, extraConfig, proxyConfig), runnerArgs);

    /// <summary>
    /// As <see cref="StartAsync(IEnumerable{string}, string, IEnumerable{string}, string)"/> with a config the caller writes
    /// (<paramref name="configText"/> gets the directory, the client port and the port_offset
    /// to use) in the file <paramref name="configFile"/> (.toml or .conf). With <paramref name="id"/>
    /// the runner gets <c>--id N</c> and the ports the cluster reports are shifted by 10 x N.
    /// </summary>
    public static async Task<PushpinCluster> StartAsync(
        IEnumerable<string> routes, string configFile, Func<string, int, int, string> configText, IEnumerable<string>? runnerArgs = null,
        int? portOffset = null, int? httpPort = null, int? id = null)
    {
        ArgumentNullException.ThrowIfNull(configText);
        var dir = System.IO.Directory.CreateTempSubdirectory("pushpin-e2e-").FullName;
        var port = httpPort ?? FreePorts.One();
        var offset = portOffset ?? PickOffset();
        await File.WriteAllLinesAsync(Path.Combine(dir, "routes"), routes);
        await File.WriteAllTextAsync(Path.Combine(dir, configFile), configText(dir, port, offset));
        var args = new List<string> { "--config", Path.Combine(dir, configFile), "--merge-output" };
        args.AddRange(runnerArgs ?? []);
        if (id is { } n)
        {
            args.AddRange(["--id", n.ToString(CultureInfo.InvariantCulture)]);
        }
        var runner = ChildProcess.Start(Artifacts.Executable("pushpin-runner"), args, workingDirectory: dir);
        var cluster = new PushpinCluster(dir, port, offset + (10 * (id ?? 0)), runner);
        try
        {
            await cluster.WaitReadyAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>The TOML config of <see cref="StartAsync(IEnumerable{string}, string, IEnumerable{string})"/>.</summary>
    public static string DefaultToml(string dir, int httpPort, int offset, string extraConfig = "", string proxyConfig = "") => $$"""
        [global]
        rundir = "{{dir}}/run"
        port_offset = {{offset}}

        [runner]
        http_port = "127.0.0.1:{{httpPort}}"
        logdir = "{{dir}}/log"
        log_level = "2"

        [proxy]
        routesfile = "routes"
        sig_key = "changeme"
        {{proxyConfig}}

        [handler]
        push_in_http_addr = "127.0.0.1"
        push_in_http_port = 5561
        {{extraConfig}}
        """;

    /// <summary>
    /// Waits until the publish API answers and a client request gets through connmgr to the
    /// proxy (connmgr answers 503 while no proxy is connected).
    /// </summary>
    public async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.TrueAsync(async () =>
        {
            if (Runner.HasExited)
            {
                throw new InvalidOperationException($"runner exited with {Runner.ExitCode}:\n{Runner.Output}");
            }
            using var api = await http.GetAsync(new Uri($"http://127.0.0.1:{PublishHttpPort}/"));
            if (!api.IsSuccessStatusCode || !await PortOpenAsync(HttpPort))
            {
                return false;
            }
            using var probe = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/"));
            return probe.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable;
        }, $"pushpin ready\n{Runner.Output}", TimeSpan.FromSeconds(60));
    }

    private static async Task<bool> PortOpenAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A port_offset whose ports are free, also after shifting by each of <paramref name="alsoShiftedBy"/> (for --id).</summary>
    public static int PickOffset(params int[] alsoShiftedBy)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var offset = Random.Shared.Next(100, 1700) * 10;
            if (OffsetPorts.All(p => IsFree(p + offset) && alsoShiftedBy.All(shift => IsFree(p + offset + shift))))
            {
                return offset;
            }
        }
        throw new InvalidOperationException("no free port_offset found");
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

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"pushpin on {HttpPort} (offset {PortOffset})");

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
                // Killed below with its whole tree.
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
