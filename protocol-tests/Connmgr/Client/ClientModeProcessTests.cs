using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Client;

/// <summary>Client mode in the real pushpin-connmgr process, driven over tcp by a NetMQ requester.</summary>
[TestFixture]
[CancelAfter(90_000)]
public sealed class ClientModeProcessTests
{
    [Test]
    public async Task Connmgr_process_relays_http_and_websocket_and_times_out_a_silent_backend()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(app =>
        {
            app.UseWebSockets();
            app.MapGet("/probe", () => "ok");
            app.MapGet("/silent", async () =>
            {
                await release.Task;
                return "late";
            });
            app.Map("/ws", async (HttpContext c) =>
            {
                using var ws = await c.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
                r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                await ws.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.NormalClosure, r.CloseStatusDescription, CancellationToken.None);
            });
        });
        var zbase = FreePorts.Block(3);
        await using var connmgr = ChildProcess.Start(Artifacts.Executable("pushpin-connmgr"), [
            $"--zserver-stream=tcp://127.0.0.1:{zbase.ToString(CultureInfo.InvariantCulture)}", "--id=connmgr", "--stream-timeout=1"]);
        await connmgr.WaitForLineAsync("started");
        await using var h = await ClientHarness.ConnectAsync(zbase, backend);
        try
        {
            var id = h.Begin(new ZhttpPacket
            {
                Method = "GET",
                Uri = $"ws://127.0.0.1:{backend.Port}/ws",
                Headers = [new HttpHeader("Host", "127.0.0.1")],
                RouterResp = true,
                Credits = 8192,
                IgnorePolicies = true,
            });
            var accept = await h.NextAsync(id);
            Assert.That(accept.Code, Is.EqualTo(101), accept.ToString());
            h.Continue(id, 1, new ZhttpPacket { ContentType = "text", Body = "through the process"u8.ToArray() });
            var echo = await h.NextContentAsync(id);
            Assert.That(Encoding.UTF8.GetString(echo.Body.Span), Is.EqualTo("through the process"));
            h.Continue(id, 2, new ZhttpPacket { Type = ZhttpPacketType.Close, Code = 4005, Body = "done"u8.ToArray() });
            var close = await h.NextContentAsync(id);
            Assert.That((close.Type, close.Code, Encoding.UTF8.GetString(close.Body.Span)), Is.EqualTo((ZhttpPacketType.Close, 4005, "done")));

            var silent = await h.CollectAsync(h.Begin(h.Request("GET", $"http://127.0.0.1:{backend.Port}/silent", ignorePolicies: true)));
            Assert.That((silent[0].Type, silent[0].Condition), Is.EqualTo((ZhttpPacketType.Error, "connection-timeout")));
        }
        finally
        {
            release.TrySetResult();
        }
    }
}
