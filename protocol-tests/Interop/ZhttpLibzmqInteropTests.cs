using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Interop;

/// <summary>
/// Our NetMQ zhttp requester against a libzmq responder (python3-zmq), over real tcp: the
/// TNetString bytes and the ZeroMQ framing must be what libzmq peers expect.
/// </summary>
[CancelAfter(60000)]
public sealed class ZhttpLibzmqInteropTests
{
    internal static string Python => "/usr/bin/python3";

    internal static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Interop", name);

    [TestCase(true)]
    [TestCase(false)]
    public async Task Libzmq_responder_answers_our_requests(bool routerResp, CancellationToken ct)
    {
        var port = FreePorts.Block(3);
        using var requester = new ZhttpRequester("connmgr", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{port}", bind: true), NullLogger.Instance);
        requester.Start();
        await using var peer = ChildProcess.Start(Python, [Script("zhttp_responder.py"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), "pyresp", "1"]);
        await peer.WaitForLineAsync("ready");

        // The libzmq PULL may connect a little after "ready": retry the initial until served.
        var id = 0;
        ZhttpPacket? response = null;
        await Eventually.TrueAsync(async () =>
        {
            var sessionId = $"0-0-{id++}";
            requester.SendInitial(new ZhttpPacket
            {
                From = "connmgr", Id = sessionId, Seq = 0, Method = "GET", Uri = "http://example/interop",
                Headers = [new HttpHeader("Host", "example")], Stream = true, RouterResp = routerResp, Credits = 8192, Multi = true,
            });
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(500));
            try
            {
                while (true)
                {
                    var p = await requester.Incoming.ReadAsync(wait.Token);
                    if (p.Code == 200)
                    {
                        response = p;
                        return true;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }, "libzmq responder answered");

        Assert.That(response!.From, Is.EqualTo("pyresp"));
        Assert.That(Encoding.ASCII.GetString(response.Body.Span), Is.EqualTo("hello from libzmq http://example/interop"));
        Assert.That(response.Headers, Is.EqualTo(new[] { new HttpHeader("Content-Type", "text/plain") }));
        Assert.That(await peer.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.Zero, peer.Output);
    }
}
