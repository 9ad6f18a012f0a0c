using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Client;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Client;

/// <summary>connmgr's client mode in process, driven by a real NetMQ zhttp requester over tcp (as the proxy).</summary>
internal sealed class ClientHarness : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly ILoggerFactory LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
        .SetMinimumLevel(LogLevel.Debug)
        .AddSimpleConsole(o => o.SingleLine = true));

    private int _nextId;

    private ClientHarness(HttpClientMode client, ZhttpRequester requester)
    {
        Client = client;
        Requester = requester;
    }

    public HttpClientMode Client { get; }

    public ZhttpRequester Requester { get; }

    public static async Task<ClientHarness> StartAsync(TestBackend probeBackend, bool denyOutInternal = false, Func<ClientOptions, ClientOptions>? configure = null)
    {
        var zbase = FreePorts.Block(3);
        var options = new ClientOptions { ZhttpBase = $"tcp://127.0.0.1:{zbase}", DenyOutInternal = denyOutInternal, SweepInterval = TimeSpan.FromMilliseconds(100) };
        var client = new HttpClientMode(configure is null ? options : configure(options), LoggerFactory.CreateLogger("connmgr-client"));
        client.Start();
        return await ConnectAsync(client, zbase, probeBackend);
    }

    /// <summary>A requester toward a client mode that runs elsewhere (the real pushpin-connmgr process); <see cref="Client"/> is not available.</summary>
    public static Task<ClientHarness> ConnectAsync(int zbase, TestBackend probeBackend) => ConnectAsync(null, zbase, probeBackend);

    private static async Task<ClientHarness> ConnectAsync(HttpClientMode? client, int zbase, TestBackend probeBackend)
    {
        var requester = new ZhttpRequester("proxy1", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{zbase}", bind: false), LoggerFactory.CreateLogger("proxy1"));
        requester.Start();
        var h = new ClientHarness(client!, requester);
        await Eventually.TrueAsync(async () =>
        {
            // Through "localhost": probe connections are pooled under their own key, apart from the tests' 127.0.0.1 ones.
            var probe = h.Request("GET", $"http://127.0.0.1:{probeBackend.Port}/probe", ignorePolicies: true);
            probe.ConnectHost = "localhost";
            probe.ConnectPort = probeBackend.Port;
            var packets = await h.CollectAsync(h.Begin(probe), TimeSpan.FromSeconds(2));
            return packets.Count > 0 && packets[0].Type == ZhttpPacketType.Data;
        }, "connmgr client mode and the requester to see each other", Wait);
        if (client is not null)
        {
            // A probe answered late must not land in the pool in the middle of a test.
            await Eventually.TrueAsync(() => client.SessionCount == 0, "the probe sessions to end", Wait);
        }
        return h;
    }

    public ZhttpPacket Request(string method, string uri, IEnumerable<(string, string)>? headers = null, string body = "", bool more = false, int credits = 200000, bool ignorePolicies = false) =>
        new()
        {
            Method = method,
            Uri = uri,
            Headers = (headers ?? []).Select(h => new HttpHeader(h.Item1, h.Item2)).ToList(),
            Body = Encoding.Latin1.GetBytes(body),
            More = more,
            Stream = true,
            RouterResp = true,
            Credits = credits,
            IgnorePolicies = ignorePolicies,
        };

    /// <summary>Sends a first packet with a fresh id; returns the id.</summary>
    public string Begin(ZhttpPacket packet)
    {
        var id = $"req-{Interlocked.Increment(ref _nextId)}";
        packet.From = "proxy1";
        packet.Id = id;
        packet.Seq = 0;
        packet.Multi = true;
        Requester.SendInitial(packet);
        return id;
    }

    /// <summary>Sends a later packet of session <paramref name="id"/> to connmgr's ROUTER.</summary>
    public void Continue(string id, int seq, ZhttpPacket packet)
    {
        packet.From = "proxy1";
        packet.Id = id;
        packet.Seq = seq;
        packet.Multi = true;
        Requester.SendToRouter("connmgr", packet);
    }

    public async Task<ZhttpPacket> NextAsync(string id)
    {
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            var p = await Requester.Incoming.ReadAsync(cts.Token);
            if (p.Id == id)
            {
                return p;
            }
        }
    }

    /// <summary>The next packet of session <paramref name="id"/> that is not a credit or a keep-alive.</summary>
    public async Task<ZhttpPacket> NextContentAsync(string id)
    {
        while (true)
        {
            var p = await NextAsync(id);
            if (p.Type is not (ZhttpPacketType.Credit or ZhttpPacketType.KeepAlive))
            {
                return p;
            }
        }
    }

    /// <summary>Packets of session <paramref name="id"/> until its last one (final data, error or cancel), crediting as it goes.</summary>
    public async Task<List<ZhttpPacket>> CollectAsync(string id, TimeSpan? timeout = null, int outSeq = 1)
    {
        var list = new List<ZhttpPacket>();
        using var cts = new CancellationTokenSource(timeout ?? Wait);
        try
        {
            while (true)
            {
                var p = await Requester.Incoming.ReadAsync(cts.Token);
                if (p.Id != id)
                {
                    continue;
                }
                list.Add(p);
                if (p.Type is ZhttpPacketType.Error or ZhttpPacketType.Cancel || (p.Type == ZhttpPacketType.Data && !p.More))
                {
                    return list;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return list;
        }
    }

    public static string Body(IEnumerable<ZhttpPacket> packets) =>
        string.Concat(packets.Where(p => p.Type == ZhttpPacketType.Data).Select(p => Encoding.Latin1.GetString(p.Body.Span)));

    public async ValueTask DisposeAsync()
    {
        Requester.Dispose();
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
    }
}
