using System.Text;
using NetMQ;
using NetMQ.Sockets;
using NUnit.Framework;
using Pushpin.Common.Zrpc;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>The pushpin-handler process answers inspect on <c>proxy_inspect_specs</c>, as the proxy's DEALER sees it.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HandlerInspectDaemonTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("pushpin-handler-inspect-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string WriteConfig(int inspectPort, string extra = "")
    {
        var path = Path.Combine(_dir, "pushpin.toml");
        File.WriteAllText(path, $"""
            [global]
            rundir = "{_dir}"

            [proxy]
            connmgr_in_stream_specs = "tcp://127.0.0.1:{FreePorts.One()}"
            connmgr_out_specs = "tcp://127.0.0.1:{FreePorts.One()}"

            [handler]
            push_in_spec = "tcp://127.0.0.1:{FreePorts.One()}"
            push_in_sub_specs = "tcp://127.0.0.1:{FreePorts.One()}"
            push_in_http_port = {FreePorts.One()}
            command_spec = "tcp://127.0.0.1:{FreePorts.One()}"
            proxy_accept_specs = "tcp://127.0.0.1:{FreePorts.One()}"
            proxy_inspect_specs = "tcp://127.0.0.1:{inspectPort}"
            stats_spec = "tcp://127.0.0.1:{FreePorts.One()}"
            {extra}
            """);
        return path;
    }

    // The proxy's side: a DEALER bound on the inspect port, calls framed ["", request].
    private static async Task<ZrpcResponse> CallAsync(DealerSocket proxy, ZrpcRequest request, ChildProcess child)
    {
        ZrpcResponse? answer = null;
        await Eventually.TrueAsync(() =>
        {
            // Until the handler connected the DEALER has no peer: retry until one answers.
            if (!proxy.TrySendFrameEmpty(TimeSpan.FromMilliseconds(100), more: true))
            {
                return false;
            }
            proxy.SendFrame(request.Encode());
            var frames = new List<byte[]>();
            if (!proxy.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(500), ref frames))
            {
                return false;
            }
            answer = ZrpcResponse.Decode(frames[^1]);
            return answer.Id == request.Id;
        }, "inspect answered\n" + child.Output);
        return answer!;
    }

    [Test]
    public async Task Handler_process_answers_inspect_with_no_proxy_false_and_an_auto_share_key()
    {
        var port = FreePorts.One();
        using var proxy = new DealerSocket();
        proxy.Bind($"tcp://127.0.0.1:{port}");
        await using var child = ChildProcess.Start(Artifacts.Executable("pushpin-handler"), ["--config", WriteConfig(port)]);

        var args = InspectResponderUnitTests.InspectArgs("GET", "http://example.com/feed?since=3", [("Grip-Last", "news; last-id=5")], autoShare: true);
        var r = await CallAsync(proxy, new ZrpcRequest { From = "proxy_test", Id = "i-1", Method = "inspect", Args = args }, child);
        Assert.That(r.Success, Is.True, r.Condition);
        var value = (Dictionary<string, object?>)r.Value!;
        Assert.That(value["no-proxy"], Is.False);
        Assert.That(Encoding.Latin1.GetString((byte[])value["sharing-key"]!), Is.EqualTo("auto|http://example.com/feed|news; last-id=5"));

        var bad = await CallAsync(proxy, new ZrpcRequest { Id = "i-2", Method = "inspect", Args = new() { ["uri"] = "http://x/"u8.ToArray() } }, child);
        Assert.That((bad.Success, bad.Condition), Is.EqualTo((false, "bad-request")), "bad input gets its error");
        var again = await CallAsync(proxy, new ZrpcRequest { Id = "i-3", Method = "inspect", Args = InspectResponderUnitTests.InspectArgs("POST", "http://example.com/x") }, child);
        Assert.That(again.Success, Is.True, "the handler stays up after a bad request");
        Assert.That(child.HasExited, Is.False);
    }

    [Test]
    public async Task Share_all_config_gives_every_request_a_method_and_uri_key()
    {
        var port = FreePorts.One();
        using var proxy = new DealerSocket();
        proxy.Bind($"tcp://127.0.0.1:{port}");
        await using var child = ChildProcess.Start(Artifacts.Executable("pushpin-handler"), ["--config", WriteConfig(port, "share_all = true")]);

        var r = await CallAsync(proxy, new ZrpcRequest { Id = "s-1", Method = "inspect", Args = InspectResponderUnitTests.InspectArgs("POST", "http://example.com/x?y=1") }, child);
        Assert.That(Encoding.Latin1.GetString((byte[])((Dictionary<string, object?>)r.Value!)["sharing-key"]!), Is.EqualTo("POST|http://example.com/x?y=1"));
    }
}
