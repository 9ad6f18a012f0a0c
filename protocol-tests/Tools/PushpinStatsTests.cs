using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Tools;

/// <summary>pushpin-stats against the stats socket of our own running handler: the refreshing table shows a held stream and its channel, and published messages.</summary>
[TestFixture]
[NonParallelizable]
[Category("NeedsDaemons")]
public sealed class PushpinStatsTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Table_shows_connections_channels_and_messages_of_our_handler()
    {
        await using var pushpin = await PushpinCluster.StartAsync(["* test"], "stats_report_interval = 1");
        await using var stats = ChildProcess.Start(Artifacts.Executable("pushpin-stats"), ["--spec", $"tcp://127.0.0.1:{pushpin.StatsPort}", "--interval", "0.5"]);
        // Redirected output gets one table per interval.
        await stats.WaitForLineAsync("pushpin-stats  tcp://127.0.0.1:");

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, pushpin.HttpPort);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        using var http = new HttpClient();
        await Eventually.TrueAsync(() => Regex.IsMatch(stats.Output, @"^test\s+stream\s+1\s", RegexOptions.Multiline), $"channel row for test\n{Tail(stats)}", TimeSpan.FromSeconds(30));
        using (var body = new StringContent("{\"items\":[{\"channel\":\"test\",\"formats\":{\"http-stream\":{\"content\":\"x\\n\"}}}]}"))
        {
            (await http.PostAsync(pushpin.PublishUri, body)).Dispose();
        }
        // Deliveries are counted from message stats.
        await Eventually.TrueAsync(() => Regex.IsMatch(stats.Output, @"^messages out\s+[1-9]", RegexOptions.Multiline), $"messages out counted\n{Tail(stats)}", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => stats.Output.Contains("last report (handler_", StringComparison.Ordinal), $"the handler's report\n{Tail(stats)}", TimeSpan.FromSeconds(30));
        Assert.That(stats.Output, Does.Match(@"(?m)^connections\s+[1-9]\d*\s+http [1-9]"));
        stats.Signal(15);
        Assert.That(await stats.WaitForExitAsync(TimeSpan.FromSeconds(10)), Is.Zero);
    }

    private static string Tail(ChildProcess p) => string.Join('\n', p.Lines.TakeLast(40));
}
