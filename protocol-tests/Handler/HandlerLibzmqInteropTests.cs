using System.Globalization;
using System.Text;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>External publishers on libzmq (python3-zmq): PUSH to our PULL, REQ to our command socket.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HandlerLibzmqInteropTests
{
    private const string Script = """
        import sys, zmq
        pull, cmd, tn = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
        ctx = zmq.Context()
        push = ctx.socket(zmq.PUSH)
        push.connect("tcp://127.0.0.1:" + pull)
        push.send(b'J{"channel":"py","formats":{"http-stream":{"content":"from libzmq json\\n"}}}')
        push.send(b'T' + tn)
        req = ctx.socket(zmq.REQ)
        req.connect("tcp://127.0.0.1:" + cmd)
        req.send(b'34:2:id,1:1,6:method,12:get-zmq-uris,}')
        print("reply " + req.recv().decode())
        req.send(b'26:2:id,1:3,6:method,5:bogus,}')
        print("reply " + req.recv().decode())
        sys.stdout.flush()
        push.close(linger=2000)
        req.close()
        ctx.term()
        """;

    private static readonly byte[] Tn = Pushpin.Common.TNetStrings.TnetString.Encode(new Dictionary<string, object?>
    {
        ["channel"] = "py"u8.ToArray(),
        ["formats"] = new Dictionary<string, object?> { ["http-stream"] = new Dictionary<string, object?> { ["content"] = "from tn"u8.ToArray() } },
    });

    [Test]
    public async Task Libzmq_push_items_and_req_commands_are_served()
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            Assert.Ignore("python3 not installed");
        }
        using var h = new HandlerHarness();
        var headers = new[] { ("Grip-Hold", "stream"), ("Grip-Channel", "py") };
        Assert.That(h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request("py-1"), 200, "OK", headers, "")).Success, Is.True);
        h.ReceiveRouter();
        h.ReceiveRouter();

        await using var py = ChildProcess.Start("/usr/bin/python3", ["-c", Script, h.PullPort.ToString(CultureInfo.InvariantCulture), h.CommandPort.ToString(CultureInfo.InvariantCulture), Convert.ToHexString(Tn)]);
        Assert.That(Encoding.UTF8.GetString(h.ReceiveRouter().Body.Span), Is.EqualTo("from libzmq json\n"));
        Assert.That(Encoding.UTF8.GetString(h.ReceiveRouter().Body.Span), Is.EqualTo("from tn"));

        Assert.That(await py.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(0), py.Output);
        var replies = py.Lines.Where(l => l.StartsWith("reply ", StringComparison.Ordinal)).ToList();
        Assert.That(replies[0], Does.Contain("12:publish-pull,").And.Contain("7:success,4:true!"));
        Assert.That(replies[1], Is.EqualTo("reply 59:9:condition,16:method-not-found,2:id,1:3,7:success,5:false!}").Or.Contains("16:method-not-found"));
    }
}
