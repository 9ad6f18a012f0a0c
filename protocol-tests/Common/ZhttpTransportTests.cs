using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Common;

[CancelAfter(30000)]
public sealed class ZhttpTransportTests
{
    private static async Task<ZhttpPacket> NextAsync(ZhttpSocketSet set, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await set.Incoming.ReadAsync(cts.Token);
    }

    [Test]
    public async Task Requester_and_responder_exchange_a_session_over_tcp(CancellationToken ct)
    {
        var port = FreePorts.Block(3);
        using var requester = new ZhttpRequester("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{port}", bind: true), NullLogger.Instance);
        using var responder = new ZhttpResponder("proxy_1", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{port}", bind: false), NullLogger.Instance);
        requester.Start();
        responder.Start();

        // The PUSH may start before the PULL is connected: retry the initial until one arrives.
        ZhttpPacket? first = null;
        await Eventually.TrueAsync(async () =>
        {
            requester.SendInitial(new ZhttpPacket { From = "connmgr", Id = "0-0-1", Seq = 0, Method = "GET", Uri = "http://x/", Stream = true, RouterResp = true, Credits = 8192 });
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            while (true)
            {
                try
                {
                    var p = await responder.Incoming.ReadAsync(wait.Token);
                    if (p.Method == "GET")
                    {
                        first = p;
                        return true;
                    }
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }, "initial packet delivered");
        Assert.That(first!.Id, Is.EqualTo("0-0-1"));

        // Reply through the ROUTER (router-resp) and through the PUB.
        await Eventually.TrueAsync(async () =>
        {
            responder.Send("connmgr", new ZhttpPacket { From = "proxy_1", Id = "0-0-1", Seq = 0, Code = 200, Reason = "OK", Body = "hi"u8.ToArray() }, routerResp: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                var p = await requester.Incoming.ReadAsync(wait.Token);
                return p.Code == 200 && Encoding.ASCII.GetString(p.Body.Span) == "hi";
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "router reply delivered");

        requester.SendToRouter("proxy_1", new ZhttpPacket { From = "connmgr", Id = "0-0-1", Seq = 1, Type = ZhttpPacketType.Credit, Credits = 2 });
        var credit = await NextAsync(responder, ct);
        Assert.That(credit.Type, Is.EqualTo(ZhttpPacketType.Credit));
        Assert.That(credit.Credits, Is.EqualTo(2));

        await Eventually.TrueAsync(async () =>
        {
            responder.Send("connmgr", new ZhttpPacket { From = "proxy_1", Id = "0-0-1", Seq = 1, Type = ZhttpPacketType.KeepAlive }, routerResp: false);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                return (await requester.Incoming.ReadAsync(wait.Token)).Type == ZhttpPacketType.KeepAlive;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "published reply delivered");
    }

    [Test]
    public async Task Initial_packet_with_no_responder_fails_locally(CancellationToken ct)
    {
        var port = FreePorts.Block(3);
        using var requester = new ZhttpRequester("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{port}", bind: true), NullLogger.Instance);
        requester.Start();
        requester.SendInitial(new ZhttpPacket { From = "connmgr", Id = "lonely", Seq = 0 });
        var p = await NextAsync(requester, ct);
        Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Error));
        Assert.That(p.Condition, Is.EqualTo("service-unavailable"));
        Assert.That(p.Id, Is.EqualTo("lonely"));
    }
}
