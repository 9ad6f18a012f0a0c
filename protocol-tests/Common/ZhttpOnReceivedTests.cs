using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Common;

/// <summary><see cref="ZhttpSocketSet.OnReceived"/>: packets handed over on the poller thread instead of <c>Incoming</c>.</summary>
[CancelAfter(30000)]
public sealed class ZhttpOnReceivedTests
{
    [Test]
    public async Task Received_packets_go_to_the_callback_in_order_and_a_throwing_callback_does_not_stop_delivery(CancellationToken ct)
    {
        var port = FreePorts.Block(3);
        var seen = Channel.CreateUnbounded<(ZhttpPacket Packet, string? Thread)>();
        using var requester = new ZhttpRequester("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{port}", bind: true), NullLogger.Instance);
        using var responder = new ZhttpResponder("proxy_1", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{port}", bind: false), NullLogger.Instance);
        responder.OnReceived = p =>
        {
            seen.Writer.TryWrite((p, Thread.CurrentThread.Name));
            if (p.Seq == 1)
            {
                throw new InvalidOperationException("consumer bug");
            }
        };
        requester.Start();
        responder.Start();

        // The PUSH may start before the PULL is connected: retry the initial until one arrives.
        (ZhttpPacket Packet, string? Thread) first = default;
        await Eventually.TrueAsync(async () =>
        {
            requester.SendInitial(new ZhttpPacket { From = "connmgr", Id = "0-0-1", Seq = 0, Method = "GET", Uri = "http://x/", Stream = true, RouterResp = true, Credits = 8192 });
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(200);
            try
            {
                first = await seen.Reader.ReadAsync(wait.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "initial packet handed to the callback");
        while (seen.Reader.TryRead(out _))
        {
            // Retries that also arrived.
        }
        Assert.That((first.Packet!.Id, first.Packet.Method, first.Thread), Is.EqualTo(("0-0-1", "GET", "zhttp ZhttpResponder")));

        // Seq 1 makes the callback throw; seq 2 must still arrive, after it.
        requester.SendToRouter("proxy_1", new ZhttpPacket { From = "connmgr", Id = "0-0-1", Seq = 1, Type = ZhttpPacketType.Credit, Credits = 2 });
        requester.SendToRouter("proxy_1", new ZhttpPacket { From = "connmgr", Id = "0-0-1", Seq = 2, Type = ZhttpPacketType.KeepAlive });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var a = await seen.Reader.ReadAsync(timeout.Token);
        var b = await seen.Reader.ReadAsync(timeout.Token);
        Assert.Multiple(() =>
        {
            Assert.That((a.Packet.Seq, a.Packet.Type), Is.EqualTo((1, ZhttpPacketType.Credit)));
            Assert.That((b.Packet.Seq, b.Packet.Type), Is.EqualTo((2, ZhttpPacketType.KeepAlive)));
            Assert.That(responder.Incoming.TryRead(out _), Is.False, "nothing goes to Incoming while a callback is set");
        });
    }
}
