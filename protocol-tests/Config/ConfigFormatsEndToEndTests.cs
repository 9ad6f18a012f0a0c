using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Config;

/// <summary>
/// The same settings written as pushpin.toml and as upstream's INI pushpin.conf give the same
/// behaviour through the real runner and daemons: the scenario's observations are equal.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("NeedsDaemons")]
public sealed class ConfigFormatsEndToEndTests
{
    private static string Toml(string dir, int httpPort, int offset) => $$"""
        [global]
        rundir = "{{dir}}/run"
        port_offset = {{offset}}

        [runner]
        services = ["connmgr", "proxy", "handler"]
        http_port = "127.0.0.1:{{httpPort}}"
        client_buffer_size = 2048
        log_level = "2"

        [proxy]
        routesfile = "routes"

        [handler]
        push_in_http_addr = "127.0.0.1"
        push_in_http_port = 5561
        push_in_http_max_body_size = 400
        """;

    private static string Ini(string dir, int httpPort, int offset) => $"""
        [global]
        rundir={dir}/run
        port_offset={offset}

        [runner]
        services=condure,pushpin-proxy,pushpin-handler
        http_port=127.0.0.1:{httpPort}
        client_buffer_size=2048
        log_level=2

        [proxy]
        routesfile=routes

        [handler]
        push_in_http_addr=127.0.0.1
        push_in_http_port=5561
        push_in_http_max_body_size=400
        """;

    [Test]
    [CancelAfter(180_000)]
    public async Task Toml_and_ini_configs_give_the_same_behaviour()
    {
        List<string> withToml;
        await using (var pushpin = await PushpinCluster.StartAsync(["* test"], "pushpin.toml", Toml))
        {
            withToml = await ScenarioAsync(pushpin);
        }
        List<string> withIni;
        await using (var pushpin = await PushpinCluster.StartAsync(["* test"], "pushpin.conf", Ini))
        {
            withIni = await ScenarioAsync(pushpin);
        }
        Assert.That(withIni, Is.EqualTo(withToml));
        Assert.That(withToml, Is.EqualTo(new[]
        {
            "GET / 200 Hello from the Pushpin test handler!",
            "small publish 200",
            "stream got published",
            "large publish refused True",
            "large header refused True",
        }));
    }

    // Observations that depend on the config: routes, the client buffer and the publish body limit.
    private static async Task<List<string>> ScenarioAsync(PushpinCluster pushpin)
    {
        var seen = new List<string>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using (var r = await http.GetAsync(pushpin.BaseUri))
        {
            seen.Add($"GET / {(int)r.StatusCode} {(await r.Content.ReadAsStringAsync()).Trim()}");
        }

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, pushpin.HttpPort);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        await ReadUntilAsync(stream, "[stream opened]");

        var small = "{\"items\":[{\"channel\":\"test\",\"formats\":{\"http-stream\":{\"content\":\"published\\n\"}}}]}";
        using (var content = new StringContent(small))
        using (var r = await http.PostAsync(pushpin.PublishUri, content))
        {
            seen.Add($"small publish {(int)r.StatusCode}");
        }
        seen.Add((await ReadUntilAsync(stream, "published")).Contains("published", StringComparison.Ordinal) ? "stream got published" : "stream missed the publish");

        var large = small.Replace("published", new string('x', 500), StringComparison.Ordinal);
        using (var content = new StringContent(large))
        using (var r = await http.PostAsync(pushpin.PublishUri, content))
        {
            seen.Add($"large publish refused {(int)r.StatusCode >= 400}");
        }

        using var big = new HttpRequestMessage(HttpMethod.Get, pushpin.BaseUri);
        big.Headers.Add("X-Big", new string('y', 3000));
        try
        {
            using var r = await http.SendAsync(big);
            seen.Add($"large header refused {(int)r.StatusCode >= 400}");
        }
        catch (HttpRequestException)
        {
            // Closed without an answer is a refusal too.
            seen.Add("large header refused True");
        }
        return seen;
    }

    private static async Task<string> ReadUntilAsync(NetworkStream stream, string marker)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            if (n == 0)
            {
                break;
            }
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return text.ToString();
    }
}
