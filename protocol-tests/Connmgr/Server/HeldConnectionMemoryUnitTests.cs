using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>
/// Managed memory connmgr keeps per held stream (a response started with more to come) and per
/// idle keep-alive connection, in process: 2,000 connections, <c>GC.GetTotalMemory(true)</c>
/// before and after. The numbers include the test's own client socket (about 500 bytes).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HeldConnectionMemoryUnitTests
{
    private const int N = 2000;

    private static async Task<List<Socket>> OpenHoldsAsync(ServerHarness h, int n, CancellationToken ct, bool more = true)
    {
        var clients = new List<Socket>();
        var answering = Task.Run(async () =>
        {
            for (var i = 0; i < n; i++)
            {
                var p = await h.ExpectPacketAsync();
                if (p.Method is null)
                {
                    i--;
                    continue;
                }
                var s = new ResponderSession(h.Responder, "resp1", p);
                s.Respond(200, "OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")], "stream open\n", more: more);
            }
        }, ct);
        var buf = new byte[1024];
        for (var i = 0; i < n; i++)
        {
            var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await c.ConnectAsync(IPAddress.Loopback, h.HttpPort, ct);
            await c.SendAsync(Encoding.ASCII.GetBytes($"GET /stream/{i} HTTP/1.1\r\nHost: 127.0.0.1:7999\r\nUser-Agent: loadgen/1.0\r\nAccept: */*\r\n\r\n"), ct);
            clients.Add(c);
        }
        await answering;
        foreach (var c in clients)
        {
            var got = 0;
            while (got == 0 || !Encoding.ASCII.GetString(buf, 0, got).Contains("stream open", StringComparison.Ordinal))
            {
                got += await c.ReceiveAsync(buf.AsMemory(got), ct);
            }
        }
        return clients;
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Held_stream_connection_keeps_under_7500_managed_bytes(CancellationToken ct)
    {
        await using var h = await ServerHarness.StartAsync();
        var warm = await OpenHoldsAsync(h, 200, ct);
        foreach (var c in warm)
        {
            c.Dispose();
        }
        await Eventually.TrueAsync(() => h.Server.ConnectionCount == 0, "warm-up connections closed");
        var before = GC.GetTotalMemory(true);
        var clients = await OpenHoldsAsync(h, N, ct);
        var after = GC.GetTotalMemory(true);
        var perHeld = (after - before) / (double)N;
        TestContext.Out.WriteLine($"managed bytes per held connection (connmgr + client socket): {perHeld:F0}");

        GC.KeepAlive(clients);
        Assert.That(h.Server.ConnectionCount, Is.EqualTo(N));
        var c0 = GC.GetTotalMemory(true);
        var done = await OpenHoldsAsync(h, N, ct, more: false);
        var c1 = GC.GetTotalMemory(true);
        TestContext.Out.WriteLine($"managed bytes per keep-alive connection after one complete response: {(c1 - c0) / (double)N:F0}");
        GC.KeepAlive(done);
        foreach (var socket in clients.Concat(done))
        {
            socket.Dispose();
        }
        // 8.6 KB with an unbounded channel per session and a linked token source per connection.
        Assert.That(perHeld, Is.LessThan(7500));
    }
}
