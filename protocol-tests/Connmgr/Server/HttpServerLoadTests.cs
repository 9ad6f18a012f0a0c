using System.Text;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>Many concurrent keep-alive clients against an automatic responder: catches races, leaks and ordering bugs.</summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class HttpServerLoadTests
{
    [Test]
    public async Task Concurrent_keep_alive_clients_all_get_their_own_responses()
    {
        await using var h = await ServerHarness.StartAsync();
        using var stop = new CancellationTokenSource();
        var served = 0;
        var responder = Task.Run(async () =>
        {
            // Answers every initial packet with its own uri; streams half of them in two packets.
            try
            {
                await foreach (var p in h.Responder.Incoming.ReadAllAsync(stop.Token))
                {
                    if (p.Method is null)
                    {
                        continue;
                    }
                    var s = new ResponderSession(h.Responder, "resp1", p);
                    var body = p.Uri!;
                    if (Interlocked.Increment(ref served) % 2 == 0)
                    {
                        s.Respond(200, "OK", [], body, more: false);
                    }
                    else
                    {
                        s.Respond(200, "OK", [], body[..5], more: true);
                        s.Body(body[5..], more: false);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Done.
            }
        });

        const int clients = 100;
        const int requests = 5;
        var tasks = Enumerable.Range(0, clients).Select(async c =>
        {
            using var client = await h.ConnectAsync();
            for (var r = 0; r < requests; r++)
            {
                await client.SendAsync($"GET /c{c}/r{r} HTTP/1.1\r\nHost: load\r\n\r\n");
                var text = await client.ReadResponseAsync(TimeSpan.FromSeconds(30));
                var expected = $"http://load/c{c}/r{r}";
                var decoded = Decode(text);
                Assert.That(decoded, Is.EqualTo(expected), text);
            }
        }).ToList();
        await Task.WhenAll(tasks);
        await stop.CancelAsync();
        await responder;
        Assert.That(served, Is.GreaterThanOrEqualTo(clients * requests));
        await Support.Eventually.TrueAsync(() => h.Server.ConnectionCount == 0, "all connections closed");
    }

    /// <summary>The body of a Content-Length or chunked response.</summary>
    private static string Decode(string response)
    {
        var end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = response[..end];
        var body = response[(end + 4)..];
        if (!head.Contains("Transfer-Encoding: chunked", StringComparison.Ordinal))
        {
            return body;
        }
        var sb = new StringBuilder();
        var pos = 0;
        while (true)
        {
            var eol = body.IndexOf("\r\n", pos, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[pos..eol], 16);
            if (size == 0)
            {
                return sb.ToString();
            }
            sb.Append(body, eol + 2, size);
            pos = eol + 2 + size + 2;
        }
    }
}
