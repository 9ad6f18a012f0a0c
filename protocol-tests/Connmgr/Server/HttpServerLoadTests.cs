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

    [Test]
    public async Task Error_answers_while_many_clients_are_still_sending_bodies_are_written_cleanly()
    {
        // The crash under load: the responder refuses (as the proxy does when accepts fail)
        // while the client is mid-body, so the input pump is reading when the error is written.
        var errors = new ErrorCountingLogger();
        await using var h = await ServerHarness.StartAsync(o => o with { BufferSize = 1024 }, logger: errors);
        using var stop = new CancellationTokenSource();
        var responder = Task.Run(async () =>
        {
            try
            {
                var n = 0;
                await foreach (var p in h.Responder.Incoming.ReadAllAsync(stop.Token))
                {
                    if (p.Method is null)
                    {
                        continue;
                    }
                    var s = new ResponderSession(h.Responder, "resp1", p);
                    // Vary the moment: some right away, some after granting credits for part of the body.
                    if (++n % 2 == 0)
                    {
                        s.Credit(512);
                    }
                    s.Send(new ZhttpPacket { Type = n % 3 == 0 ? ZhttpPacketType.Cancel : ZhttpPacketType.Error, Condition = "undefined-condition" });
                }
            }
            catch (OperationCanceledException)
            {
                // Done.
            }
        });

        const int clients = 200;
        var piece = new string('x', 700);
        var tasks = Enumerable.Range(0, clients).Select(async c =>
        {
            using var client = await h.ConnectAsync();
            var chunked = c % 2 == 0;
            await client.SendAsync(chunked
                ? $"POST /hold/{c} HTTP/1.1\r\nHost: load\r\nTransfer-Encoding: chunked\r\n\r\n"
                : $"POST /hold/{c} HTTP/1.1\r\nHost: load\r\nContent-Length: {piece.Length * 40}\r\n\r\n");
            var reading = client.ReadToEndAsync(TimeSpan.FromSeconds(60));
            try
            {
                for (var i = 0; i < 40 && !reading.IsCompleted; i++)
                {
                    await client.SendAsync(chunked ? $"{piece.Length:x}\r\n{piece}\r\n" : piece);
                    await Task.Yield();
                }
            }
            catch (IOException)
            {
                // The server closed after its answer; fine.
            }
            var text = await reading;
            Assert.That(text, Does.StartWith("HTTP/1.1 502 Bad Gateway\r\n"), $"client {c}");
        }).ToList();
        await Task.WhenAll(tasks);
        await stop.CancelAsync();
        await responder;
        await Support.Eventually.TrueAsync(() => h.Server.ConnectionCount == 0, "all connections closed");
        Assert.That(errors.Errors, Is.Empty, string.Join("\n", errors.Errors));
    }

    [Test]
    public async Task Random_garbage_connections_get_answers_and_the_server_keeps_serving()
    {
        await using var h = await ServerHarness.StartAsync();
        var random = new Random(4242);
        var statuses = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            if (i % 3 == 0)
            {
                // Sometimes a plausible start, so the damage is deeper in.
                var prefix = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\n");
                bytes = [.. prefix, .. bytes, (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n'];
            }
            using var client = await h.ConnectAsync();
            await client.SendRawAsync(bytes);
            client.ShutdownSend();
            var text = await client.ReadToEndAsync(TimeSpan.FromSeconds(10));
            statuses.Add(text.Length >= 12 ? text[..12] : text);
            // Anything that reached the responder is answered so the connection can finish.
            while (await h.NextPacketAsync(TimeSpan.Zero) is { Method: not null } p)
            {
                new ResponderSession(h.Responder, "resp1", p).Respond(200, "OK", [], "", more: false);
            }
        }
        Assert.That(statuses.Count(s => s.StartsWith("HTTP/1.1 4", StringComparison.Ordinal) || s.StartsWith("HTTP/1.1 5", StringComparison.Ordinal)), Is.GreaterThan(30));
        using var good = await h.ConnectAsync();
        await good.SendAsync("GET /still-alive HTTP/1.1\r\nHost: a\r\n\r\n");
        var packet = await h.ExpectPacketAsync();
        Assert.That(packet.Uri, Is.EqualTo("http://a/still-alive"));
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
