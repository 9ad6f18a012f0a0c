using System.Globalization;
using System.Text;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>
/// libzmq peers written in python3-zmq: an XPUB publisher that only publishes what our SUB
/// subscribes to, a SUB reading our stats socket, and garbage / truncated TNetStrings on PULL
/// and SUB (upstream 1.36 crashes on a truncated one; we log and carry on).
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HandlerPythonInteropTests
{
    private const string XpubScript = """
        import sys, zmq
        port = sys.argv[1]
        ctx = zmq.Context()
        xpub = ctx.socket(zmq.XPUB)
        xpub.connect("tcp://127.0.0.1:" + port)
        xpub.RCVTIMEO = 15000
        while True:
            ev = xpub.recv()
            print("sub-event %d %s" % (ev[0], ev[1:].decode()))
            sys.stdout.flush()
            if ev[0] == 1 and ev[1:] == b"xp":
                break
        xpub.send_multipart([b"xp", b'J{"formats":{"http-stream":{"content":"via xpub\\n"}}}'])
        xpub.close(linger=2000)
        ctx.term()
        """;

    private const string StatsScript = """
        import sys, zmq
        port = sys.argv[1]
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"sub ")
        sub.connect("tcp://127.0.0.1:" + port)
        sub.RCVTIMEO = 20000
        print("ready")
        sys.stdout.flush()
        while True:
            m = sub.recv()
            print(m.decode("latin-1"))
            sys.stdout.flush()
            if b":stat" in m:
                break
        sub.close(linger=0)
        ctx.term()
        """;

    private const string GarbageScript = """
        import sys, zmq
        pull, subport = sys.argv[1], sys.argv[2]
        ctx = zmq.Context()
        push = ctx.socket(zmq.PUSH)
        push.connect("tcp://127.0.0.1:" + pull)
        for junk in [b"T12:7:channel,", b"12:7:channel,", b"\x00\xff\xfe", b"", b"J{not json", b"J[1,2]", b"T0:}", b"T5:hello,", b'J{"channel":"g","formats":{}}']:
            push.send(junk)
        push.send(b'J{"channel":"g","formats":{"http-stream":{"content":"still up\\n"}}}')
        pub = ctx.socket(zmq.XPUB)
        pub.connect("tcp://127.0.0.1:" + subport)
        pub.RCVTIMEO = 15000
        while pub.recv() != b"\x01g":
            pass
        pub.send_multipart([b"g", b"T9999:truncated"])
        pub.send_multipart([b"g"])
        pub.send_multipart([b"g", b"x", b"y"])
        pub.send_multipart([b"g", b'J{"formats":{"http-stream":{"content":"sub still up\\n"}}}'])
        push.close(linger=2000)
        pub.close(linger=2000)
        ctx.term()
        """;

    [SetUp]
    public void RequirePython()
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            Assert.Ignore("python3 not installed");
        }
    }

    private static void HoldStream(HandlerHarness h, string id, string channel)
    {
        Assert.That(h.CallAccept(HandlerHarness.AcceptArgs(HandlerHarness.Request(id), 200, "OK", [("Grip-Hold", "stream"), ("Grip-Channel", channel)], "")).Success, Is.True);
        h.ReceiveRouter(); // keep-alive
        h.ReceiveRouter(); // response head
    }

    [Test]
    public async Task Python_xpub_publisher_sees_our_subscription_and_its_item_reaches_the_session()
    {
        using var h = new HandlerHarness();
        await using var py = ChildProcess.Start("/usr/bin/python3", ["-c", XpubScript, h.SubPort.ToString(CultureInfo.InvariantCulture)]);
        HoldStream(h, "x-1", "xp");
        Assert.That(Encoding.UTF8.GetString(h.ReceiveRouter().Body.Span), Is.EqualTo("via xpub\n"));
        Assert.That(await py.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(0), py.Output);
        Assert.That(py.Lines, Does.Contain("sub-event 1 xp"));
    }

    [Test]
    public async Task Python_sub_reads_a_sub_packet_from_our_stats_socket()
    {
        var statsPort = FreePorts.One();
        using var h = new HandlerHarness(configure: o => o with { StatsSpec = $"tcp://127.0.0.1:{statsPort}" });
        await using var py = ChildProcess.Start("/usr/bin/python3", ["-c", StatsScript, statsPort.ToString(CultureInfo.InvariantCulture)]);
        await Eventually.TrueAsync(() => py.Lines.Contains("ready"), "python SUB started\n" + py.Output);

        // A SUB joining late misses what was published before: hold sessions until one is seen.
        var n = 0;
        await Eventually.TrueAsync(() =>
        {
            HoldStream(h, "st-" + n, "stat" + n);
            n++;
            return py.Lines.Any(l => l.StartsWith("sub T", StringComparison.Ordinal));
        }, "sub packet read by python\n" + py.Output, TimeSpan.FromSeconds(20));
        Assert.That(await py.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(0), py.Output);
        var line = py.Lines.First(l => l.StartsWith("sub T", StringComparison.Ordinal));
        Assert.That(line, Does.Contain("4:mode,6:stream,").And.Contain("4:from,12:handler_test,"));
    }

    [Test]
    public async Task Garbage_and_truncated_tnetstrings_on_pull_and_sub_leave_the_handler_serving()
    {
        using var h = new HandlerHarness();
        HoldStream(h, "g-1", "g");
        await using var py = ChildProcess.Start("/usr/bin/python3", ["-c", GarbageScript, h.PullPort.ToString(CultureInfo.InvariantCulture), h.SubPort.ToString(CultureInfo.InvariantCulture)]);
        // PULL and SUB are separate inputs: their items may arrive in either order.
        var got = new[] { Encoding.UTF8.GetString(h.ReceiveRouter().Body.Span), Encoding.UTF8.GetString(h.ReceiveRouter().Body.Span) };
        Assert.That(got, Is.EquivalentTo(new[] { "still up\n", "sub still up\n" }));
        Assert.That(await py.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(0), py.Output);
        Assert.That(h.PublishHttp("""{"channel":"g","formats":{"http-stream":{"content":"http too\n"}}}"""), Does.Contain("200 OK"));
        Assert.That(Encoding.UTF8.GetString(h.ReceiveRouter().Body.Span), Is.EqualTo("http too\n"));
    }
}
