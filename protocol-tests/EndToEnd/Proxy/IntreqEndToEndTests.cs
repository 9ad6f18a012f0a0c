using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.Proxy;

/// <summary>
/// The handler's own outbound requests through the real proxy process: a NetMQ requester plays
/// the handler on the intreq sockets (14607-14609 + offset), connmgr's client mode reaches a real
/// Kestrel backend.
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class IntreqEndToEndTests
{
    [Test]
    public async Task Handler_request_reaches_the_backend_and_gets_the_grip_response_raw()
    {
        await using var backend = await TestBackend.StartAsync(app => app.MapGet("/api/next", (HttpContext ctx) =>
        {
            ctx.Response.Headers["Grip-Hold"] = "stream";
            ctx.Response.Headers["Grip-Channel"] = "news";
            return Results.Text("last=" + ctx.Request.Headers["Grip-Last"] + "\n", "text/plain");
        }));
        await using var pushpin = await PushpinCluster.StartAsync([$"*,id=api,path_beg=/api {backend.Target}"]);
        using var handler = new ZhttpRequester("handler_e2e", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{14607 + pushpin.PortOffset}", bind: false), NullLogger.Instance);
        handler.Start();

        ZhttpPacket? response = null;
        var n = 0;
        // The PUSH connects asynchronously: resend under a fresh id until the proxy answers.
        await Eventually.TrueAsync(async () =>
        {
            var id = "e2e-" + n++;
            handler.SendInitial(new ZhttpPacket
            {
                From = "handler_e2e",
                Id = id,
                Seq = 0,
                Method = "GET",
                Uri = $"http://127.0.0.1:{pushpin.HttpPort}/api/next",
                Headers = [new("Host", $"127.0.0.1:{pushpin.HttpPort}"), new("Grip-Last", "news; last-id=7")],
                Stream = true,
                RouterResp = true,
                Credits = 200_000,
                Passthrough = new Dictionary<string, object?> { ["route"] = "api"u8.ToArray(), ["prefer-internal"] = true },
            });
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                while (true)
                {
                    var p = await handler.Incoming.ReadAsync(cts.Token);
                    if (p.Id == id && p.Code >= 0)
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
        }, "intreq answered");

        var body = new StringBuilder(Encoding.UTF8.GetString(response!.Body.Span));
        var last = response;
        while (last.More)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            last = await handler.Incoming.ReadAsync(cts.Token);
            if (last.Id == response.Id && last.Type == ZhttpPacketType.Data)
            {
                body.Append(Encoding.UTF8.GetString(last.Body.Span));
            }
            else
            {
                last = response.More ? new ZhttpPacket { More = true } : last;
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(response!.Code, Is.EqualTo(200));
            Assert.That(response.GetHeader("Grip-Hold"), Is.EqualTo("stream"));
            Assert.That(body.ToString(), Is.EqualTo("last=news; last-id=7\n"));
            Assert.That(backend.LastRequest.Headers, Does.ContainKey("Grip-Sig"));
        });
    }
}
