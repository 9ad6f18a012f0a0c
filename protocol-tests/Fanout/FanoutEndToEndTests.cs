using System.Globalization;
using System.Net;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Fanout;

/// <summary>
/// Fan-out through the real daemons (connmgr, proxy, handler as processes): many stream holds
/// on one channel, where the handler sends each item to connmgr as multi-id data packets.
/// </summary>
[NonParallelizable]
[CancelAfter(240000)]
public sealed class FanoutEndToEndTests
{
    private const int Subscribers = 1000;

    [Test]
    public async Task Thousand_subscribers_get_every_message_in_order_published_over_http_and_zmq_push_bursts()
    {
        await using var pushpin = await PushpinCluster.StartAsync(["* test"]);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Subscribers + 10 })
        {
            BaseAddress = pushpin.BaseUri,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        using var stop = new CancellationTokenSource();

        // Subscribe (200 at a time), each checked to be open before anything is published.
        var readers = new List<StreamReader>();
        using var gate = new SemaphoreSlim(200);
        var opens = Enumerable.Range(0, Subscribers).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                var response = await http.GetAsync(new Uri("/stream?channel=fan", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                Assert.That(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo("[stream opened]"));
                return reader;
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        readers.AddRange(await Task.WhenAll(opens));

        const int overHttp = 20;
        const int burst = 200;
        var expected = Enumerable.Range(0, overHttp + burst).Select(i => $"m{i}").ToArray();
        var reads = readers.Select(r => Task.Run(async () =>
        {
            var got = new List<string>(expected.Length);
            while (got.Count < expected.Length)
            {
                var line = await r.ReadLineAsync(stop.Token);
                if (line is null)
                {
                    break;
                }
                got.Add(line);
            }
            return got;
        })).ToArray();

        // 20 items in one HTTP publish, then a burst of 200 over ZeroMQ PUSH (to 5560).
        var items = string.Join(',', Enumerable.Range(0, overHttp).Select(i => Item(i)));
        using (var body = new StringContent($"{{\"items\":[{items}]}}", Encoding.UTF8, "application/json"))
        using (var published = await http.PostAsync(pushpin.PublishUri, body))
        {
            Assert.That(published.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using (var push = new PushSocket())
        {
            push.Options.Linger = TimeSpan.FromSeconds(10);
            push.Connect($"tcp://127.0.0.1:{pushpin.PublishPullPort.ToString(CultureInfo.InvariantCulture)}");
            for (var i = overHttp; i < overHttp + burst; i++)
            {
                Assert.That(push.TrySendFrame(TimeSpan.FromSeconds(10), "J" + Item(i)), Is.True);
            }
        }

        var all = Task.WhenAll(reads);
        var finished = await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(120)));
        await stop.CancelAsync();
        Assert.That(finished, Is.SameAs(all), "every subscriber got every message within 120 s");
        var results = await all;
        var wrong = results.Select((got, i) => (got, i)).Where(x => !x.got.SequenceEqual(expected)).ToArray();
        Assert.That(wrong, Is.Empty, wrong.Length == 0 ? "" :
            $"{wrong.Length} subscribers differ; first #{wrong[0].i} got {wrong[0].got.Count}: {string.Join(' ', wrong[0].got.Take(10))}");
        foreach (var r in readers)
        {
            r.Dispose();
        }
    }

    private static string Item(int i) =>
        $"{{\"channel\":\"fan\",\"formats\":{{\"http-stream\":{{\"content\":\"m{i}\\n\"}}}}}}";
}
