using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zrpc;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Common;

[CancelAfter(30000)]
public sealed class ZrpcTests
{
    [Test]
    public async Task Call_gets_the_servers_answer(CancellationToken ct)
    {
        var port = FreePorts.One();
        using var client = new ZrpcClient("proxy_1", [$"tcp://127.0.0.1:{port}"], bind: true, NullLogger.Instance);
        using var server = new ZrpcServer([$"tcp://127.0.0.1:{port}"], bind: false, NullLogger.Instance);
        client.Start();
        server.Start();
        _ = Task.Run(async () =>
        {
            await foreach (var call in server.Calls.ReadAllAsync(ct))
            {
                if (call.Request.Method == "accept")
                {
                    call.Ok(new Dictionary<string, object?> { ["accepted"] = true, ["from"] = call.Request.From });
                }
                else
                {
                    call.Fail("method-not-found");
                }
            }
        }, ct);

        // A DEALER with no connected peer fails a call at once (service-unavailable), so wait
        // until the server's connection is up.
        ZrpcResponse ok = null!;
        await Eventually.TrueAsync(async () =>
        {
            ok = await client.CallAsync("accept", new Dictionary<string, object?> { ["x"] = 1 }, TimeSpan.FromSeconds(10), ct);
            return ok.Condition != "service-unavailable";
        }, "server connected");
        Assert.That(ok.Success, Is.True, ok.Condition);
        var value = (Dictionary<string, object?>)ok.Value!;
        Assert.That(value.GetBoolean("accepted"), Is.True);
        Assert.That(value.GetString("from"), Is.EqualTo("proxy_1"));

        var bad = await client.CallAsync("bogus", null, TimeSpan.FromSeconds(10), ct);
        Assert.That(bad.Success, Is.False);
        Assert.That(bad.Condition, Is.EqualTo("method-not-found"));
    }

    [Test]
    public async Task Call_without_a_server_times_out_locally(CancellationToken ct)
    {
        var port = FreePorts.One();
        using var client = new ZrpcClient("proxy_1", [$"tcp://127.0.0.1:{port}"], bind: true, NullLogger.Instance);
        client.Start();
        var r = await client.CallAsync("accept", null, TimeSpan.FromMilliseconds(300), ct);
        Assert.That(r.Success, Is.False);
        Assert.That(r.Condition, Is.AnyOf("timeout", "service-unavailable"));
    }

    [Test]
    public void Captured_command_requests_decode()
    {
        var req = ZrpcRequest.Decode("124:2:id,1:4,6:method,7:publish,4:args,85:5:items,73:69:7:channel,4:test,7:formats,38:10:ws-message,20:7:content,7:via cmd,}}}]}}"u8);
        Assert.That(req.Method, Is.EqualTo("publish"));
        Assert.That(req.Id, Is.EqualTo("4"));
        Assert.That(req.Args!.GetList("items"), Has.Count.EqualTo(1));
        var resp = ZrpcResponse.Decode("59:9:condition,16:method-not-found,2:id,1:3,7:success,5:false!}"u8);
        Assert.That(resp.Success, Is.False);
        Assert.That(resp.Condition, Is.EqualTo("method-not-found"));
        Assert.That(System.Text.Encoding.ASCII.GetString(ZrpcResponse.Ok("1", null).Encode()), Is.EqualTo("37:2:id,1:1,7:success,4:true!5:value,0:~}"));
    }
}
