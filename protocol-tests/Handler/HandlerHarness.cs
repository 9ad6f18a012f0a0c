using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using NUnit.Framework;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;
using Pushpin.Common.Zrpc;
using Pushpin.Handler;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>
/// Runs a handler in process on fresh ports, with real NetMQ peers playing the proxy (accept
/// DEALER) and connmgr (stream ROUTER + SUB). Peer sockets are used from the test thread only.
/// </summary>
internal sealed class HandlerHarness : IDisposable
{
    public const string HandlerId = "handler_test";

    private readonly CancellationTokenSource _stop;
    private readonly Task _run;
    private readonly bool _proxyPeers;
    private readonly Func<HandlerOptions, HandlerOptions>? _configure;
    private int _nextCallId;

    /// <param name="proxyPeers">Also play the proxy's retry ROUTER (identity <c>proxy_test</c>) and command ROUTER, and serve metrics.</param>
    /// <param name="configure">Adjusts the handler options before start.</param>
    public HandlerHarness(bool proxyPeers = false, Func<HandlerOptions, HandlerOptions>? configure = null)
    {
        _proxyPeers = proxyPeers;
        _configure = configure;
        // A port that FreePorts reports free can still refuse a NetMQ bind (TIME_WAIT from an
        // earlier test, or handed out twice): retry the whole set-up on fresh ports.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                (_stop, _run) = Start();
                return;
            }
            catch (Exception ex) when (attempt < 5 && ex is NetMQException or TimeoutException or System.Net.Sockets.SocketException)
            {
                DisposePeers();
            }
        }
    }

    private (CancellationTokenSource, Task) Start()
    {
        var ports = new HashSet<int>();
        int Fresh()
        {
            int p;
            do
            {
                p = FreePorts.One();
            }
            while (!ports.Add(p));
            return p;
        }
        AcceptPort = Fresh();
        StreamPort = Fresh();
        OutPort = Fresh();
        PullPort = Fresh();
        HttpPort = Fresh();
        CommandPort = Fresh();
        SubPort = Fresh();

        Proxy = new DealerSocket();
        Proxy.Bind($"tcp://127.0.0.1:{AcceptPort}");
        Connmgr = new RouterSocket();
        Connmgr.Options.Identity = "connmgr"u8.ToArray();
        Connmgr.Options.RouterMandatory = true;
        Connmgr.Bind($"tcp://127.0.0.1:{StreamPort}");
        ConnmgrSub = new SubscriberSocket();
        ConnmgrSub.Bind($"tcp://127.0.0.1:{OutPort}");
        ConnmgrSub.Subscribe("connmgr ");

        if (_proxyPeers)
        {
            RetryPort = Fresh();
            ProxyCommandPort = Fresh();
            MetricsPort = Fresh();
            ProxyRetry = new RouterSocket();
            ProxyRetry.Options.Identity = "proxy_test"u8.ToArray();
            ProxyRetry.Bind($"tcp://127.0.0.1:{RetryPort}");
            ProxyCommand = new RouterSocket();
            ProxyCommand.Bind($"tcp://127.0.0.1:{ProxyCommandPort}");
        }

        Options = new HandlerOptions
        {
            InstanceId = HandlerId,
            PushInSpec = $"tcp://127.0.0.1:{PullPort}",
            PushInSubSpec = null,
            PushInSubSpecs = [$"tcp://127.0.0.1:{SubPort}"],
            PushInHttpPort = HttpPort,
            CommandSpec = $"tcp://127.0.0.1:{CommandPort}",
            ProxyAcceptSpecs = [$"tcp://127.0.0.1:{AcceptPort}"],
            ConnmgrInStreamSpecs = [$"tcp://127.0.0.1:{StreamPort}"],
            ConnmgrOutSpecs = [$"tcp://127.0.0.1:{OutPort}"],
            ProxyRetryOutSpecs = _proxyPeers ? [$"tcp://127.0.0.1:{RetryPort}"] : [],
            ProxyCommandSpecs = _proxyPeers ? [$"tcp://127.0.0.1:{ProxyCommandPort}"] : [],
            PrometheusPort = _proxyPeers ? $"127.0.0.1:{MetricsPort}" : null,
            PrometheusPrefix = "pp_",
        };
        if (_configure is not null)
        {
            Options = _configure(Options);
        }
        Server = new HandlerServer(Options, NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => Server.RunAsync(stop.Token));
        if (Task.WhenAny(Server.Ready, run).Wait(TimeSpan.FromSeconds(10)) && Server.Ready.IsCompleted)
        {
            return (stop, run);
        }
        stop.Cancel();
        stop.Dispose();
        throw new TimeoutException("handler did not start: " + run.Exception?.GetBaseException().Message);
    }

    public int AcceptPort { get; private set; }

    public int StreamPort { get; private set; }

    public int OutPort { get; private set; }

    public int PullPort { get; private set; }

    public int HttpPort { get; private set; }

    public int CommandPort { get; private set; }

    public int SubPort { get; private set; }

    public int RetryPort { get; private set; }

    public int ProxyCommandPort { get; private set; }

    public int MetricsPort { get; private set; }

    /// <summary>The proxy's retry ROUTER (with <c>proxyPeers</c>).</summary>
    public RouterSocket? ProxyRetry { get; private set; }

    /// <summary>The proxy's command ROUTER (with <c>proxyPeers</c>).</summary>
    public RouterSocket? ProxyCommand { get; private set; }

    public HandlerOptions Options { get; private set; } = null!;

    public HandlerServer Server { get; private set; } = null!;

    public DealerSocket Proxy { get; private set; } = null!;

    public RouterSocket Connmgr { get; private set; } = null!;

    public SubscriberSocket ConnmgrSub { get; private set; } = null!;

    public static Dictionary<string, object?> Request(string id, int outCredits = 1000, bool routerResp = true, int inSeq = 1, int outSeq = 1) => new()
    {
        ["rid"] = new Dictionary<string, object?> { ["sender"] = "connmgr"u8.ToArray(), ["id"] = Encoding.Latin1.GetBytes(id) },
        ["in-seq"] = (long)inSeq,
        ["out-seq"] = (long)outSeq,
        ["out-credits"] = (long)outCredits,
        ["router-resp"] = routerResp,
    };

    public static Dictionary<string, object?> AcceptArgs(Dictionary<string, object?> request, int code, string reason, (string, string)[] headers, string body)
    {
        var requestData = new Dictionary<string, object?>
        {
            ["method"] = "GET"u8.ToArray(),
            ["uri"] = "http://example.com/stream"u8.ToArray(),
            ["headers"] = new List<object?>(),
            ["body"] = Array.Empty<byte>(),
        };
        return new Dictionary<string, object?>
        {
            ["requests"] = new List<object?> { request },
            ["request-data"] = requestData,
            ["orig-request-data"] = requestData,
            ["response"] = new Dictionary<string, object?>
            {
                ["code"] = (long)code,
                ["reason"] = Encoding.Latin1.GetBytes(reason),
                ["headers"] = headers.Select(h => (object?)new List<object?> { Encoding.Latin1.GetBytes(h.Item1), Encoding.Latin1.GetBytes(h.Item2) }).ToList(),
                ["body"] = Encoding.UTF8.GetBytes(body),
            },
            ["route"] = "test"u8.ToArray(),
        };
    }

    /// <summary>Sends a zrpc accept as the proxy and returns the handler's answer.</summary>
    public ZrpcResponse CallAccept(Dictionary<string, object?> args, string method = "accept")
    {
        var id = (++_nextCallId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Proxy.SendMoreFrameEmpty().SendFrame(new ZrpcRequest { From = "proxy_test", Id = id, Method = method, Args = args }.Encode());
        var frames = new List<byte[]>();
        Assert.That(Proxy.TryReceiveMultipartBytes(TimeSpan.FromSeconds(10), ref frames), Is.True, "no accept response");
        return ZrpcResponse.Decode(frames[^1]);
    }

    /// <summary>Next packet connmgr receives through its ROUTER (router-resp sessions).</summary>
    public ZhttpPacket ReceiveRouter(TimeSpan? timeout = null)
    {
        var p = TryReceiveRouter(timeout ?? TimeSpan.FromSeconds(10));
        Assert.That(p, Is.Not.Null, "no packet reached connmgr's ROUTER");
        return p!;
    }

    public ZhttpPacket? TryReceiveRouter(TimeSpan timeout)
    {
        var frames = new List<byte[]>();
        if (!Connmgr.TryReceiveMultipartBytes(timeout, ref frames))
        {
            return null;
        }
        Assert.That(Encoding.Latin1.GetString(frames[0]), Is.EqualTo(HandlerId), "routing id is the handler's identity");
        Assert.That(ZhttpCodec.TryDecode(frames[^1], out var p, out var error), Is.True, error);
        return p;
    }

    /// <summary>Next packet connmgr receives through its SUB (sessions without router-resp).</summary>
    public ZhttpPacket ReceiveSub()
    {
        Assert.That(ConnmgrSub.TryReceiveFrameBytes(TimeSpan.FromSeconds(10), out var frame), Is.True, "no packet reached connmgr's SUB");
        Assert.That(Encoding.Latin1.GetString(frame!, 0, 8), Is.EqualTo("connmgr "));
        Assert.That(ZhttpCodec.TryDecode(frame.AsMemory(8), out var p, out var error), Is.True, error);
        return p!;
    }

    public ZhttpPacket? TryReceiveSub(TimeSpan timeout)
    {
        if (!ConnmgrSub.TryReceiveFrameBytes(timeout, out var frame))
        {
            return null;
        }
        Assert.That(ZhttpCodec.TryDecode(frame.AsMemory(8), out var p, out var error), Is.True, error);
        return p;
    }

    /// <summary>Sends a packet from connmgr to the handler's ROUTER.</summary>
    public void SendFromConnmgr(ZhttpPacket p)
    {
        p.From ??= "connmgr";
        Connmgr.SendMoreFrame(HandlerId).SendMoreFrameEmpty().SendFrame(ZhttpCodec.Encode(p));
    }

    public void Push(byte[] payload)
    {
        using var push = new PushSocket();
        push.Options.Linger = TimeSpan.FromSeconds(2);
        push.Connect($"tcp://127.0.0.1:{PullPort}");
        Assert.That(push.TrySendFrame(TimeSpan.FromSeconds(5), payload), Is.True, "PULL did not take the message");
    }

    public void Push(byte[][] frames)
    {
        using var push = new PushSocket();
        push.Options.Linger = TimeSpan.FromSeconds(2);
        push.Connect($"tcp://127.0.0.1:{PullPort}");
        var msg = new NetMQMessage();
        foreach (var f in frames)
        {
            msg.Append(f);
        }
        Assert.That(push.TrySendMultipartMessage(TimeSpan.FromSeconds(5), msg), Is.True);
    }

    public string PublishHttp(string itemsJson) =>
        RawHttp.SendAsync(HttpPort, RawHttp.Post("/publish/", $"{{\"items\":[{itemsJson}]}}")).GetAwaiter().GetResult();

    public ZrpcResponse Command(string method, Dictionary<string, object?>? args = null)
    {
        using var req = new RequestSocket();
        req.Connect($"tcp://127.0.0.1:{CommandPort}");
        req.SendFrame(new ZrpcRequest { Id = "c1", Method = method, Args = args }.Encode());
        Assert.That(req.TryReceiveFrameBytes(TimeSpan.FromSeconds(10), out var reply), Is.True, "no command reply");
        return ZrpcResponse.Decode(reply);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _run.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // Reported by the test that caused it.
        }
        DisposePeers();
        _stop.Dispose();
    }

    private void DisposePeers()
    {
        Proxy?.Dispose();
        Connmgr?.Dispose();
        ConnmgrSub?.Dispose();
        ProxyRetry?.Dispose();
        ProxyCommand?.Dispose();
    }
}
