using System.Text;
using NetMQ;
using NetMQ.Sockets;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Proxy.Sessions;

/// <summary><c>zhttpreq/</c> route targets (internals.md §3.1 req mode): one request packet, one response packet.</summary>
[CancelAfter(60_000)]
public sealed class ProxyEngineZhttpReqTests
{
    [Test]
    public async Task Request_goes_whole_to_the_req_responder_and_its_answer_is_relayed()
    {
        var port = FreePorts.One();
        await using var h = await ProxyHarness.StartAsync([$"*,debug zhttpreq/tcp://127.0.0.1:{port}"]);
        using var responder = new RouterSocket();
        responder.Connect($"tcp://127.0.0.1:{port}");

        // Until the responder is connected the proxy answers 502 (unreachable); then it gets the
        // request. Each attempt ends with whichever comes first. The responder is polled without
        // blocking: a blocking receive holds a thread-pool thread, and on a 2-core machine that
        // starved the engine's loop (also on the pool) for ~500 ms, so the request reached the
        // responder after a fixed receive window had closed and no 502 ever came.
        Task<(ZhttpPacket First, string Body)>? response = null;
        List<byte[]>? frames = null;
        await Eventually.TrueAsync(async () =>
        {
            var id = h.Send(new ZhttpPacket { Method = "POST", Uri = "http://example.com/rpc", Headers = [new("Host", "example.com")], More = true });
            h.SendMore(id, 1, new ZhttpPacket { Body = "part1,"u8.ToArray(), More = true });
            h.SendMore(id, 2, new ZhttpPacket { Body = "part2"u8.ToArray() });
            // The same read carries on for the relayed answer when the responder gets the request.
            response = h.ReadResponseAsync(id);
            var received = new List<byte[]>();
            while (!response.IsCompleted)
            {
                if (responder.TryReceiveMultipartBytes(TimeSpan.Zero, ref received))
                {
                    frames = received;
                    return true;
                }
                await Task.Delay(10);
            }
            var (first, body) = await response;
            Assert.That((first.Code, body), Is.EqualTo((502, "Error: zhttp service for route is unreachable.\n")));
            return false;
        }, "the req responder gets a request");

        Assert.That(frames![^2], Is.Empty, "req-mode envelope delimiter");
        Assert.That(ZhttpCodec.TryDecode(frames[^1], out var req, out _), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That((req!.Method, req.Uri), Is.EqualTo(("POST", "http://example.com/rpc")));
            Assert.That(Encoding.UTF8.GetString(req.Body.Span), Is.EqualTo("part1,part2"), "the whole body in one packet");
            Assert.That(req.More, Is.False);
        });
        var reply = ZhttpCodec.Encode(new ZhttpPacket { Id = req!.Id, Code = 200, Reason = "OK", Headers = [new("Content-Type", "text/plain")], Body = "done"u8.ToArray() });
        responder.SendMultipartMessage(new NetMQMessage([new NetMQFrame(frames[0]), NetMQFrame.Empty, new NetMQFrame(reply)]));
        var (resp, text) = await response!;
        Assert.That((resp.Code, text, resp.GetHeader("Content-Type")), Is.EqualTo((200, "done", "text/plain")));
    }
}
