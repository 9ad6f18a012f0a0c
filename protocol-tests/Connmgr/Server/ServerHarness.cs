using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Server;
using Pushpin.Connmgr.Transport;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>connmgr's server side in process, with a real NetMQ zhttp responder peer over tcp.</summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly ILoggerFactory LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
        .SetMinimumLevel(LogLevel.Debug)
        .AddSimpleConsole(o => o.SingleLine = true));

    private readonly List<ZhttpResponder> _extra = [];

    private ServerHarness(HttpServer server, ZhttpResponder responder, int zbase, int httpPort)
    {
        Server = server;
        Responder = responder;
        ZhttpBase = zbase;
        HttpPort = httpPort;
    }

    public HttpServer Server { get; }

    /// <summary>Responder with id <c>resp1</c> (PULL + ROUTER + PUB, connected).</summary>
    public ZhttpResponder Responder { get; }

    public int ZhttpBase { get; }

    public int HttpPort { get; }

    public static async Task<ServerHarness> StartAsync(Func<ServerOptions, ServerOptions>? configure = null, bool probe = true, ILogger? logger = null)
    {
        var zbase = FreePorts.Block(3);
        var httpPort = FreePorts.One();
        var options = new ServerOptions
        {
            Listen = [ListenSpec.Tcp(new IPEndPoint(IPAddress.Loopback, httpPort))],
            ZhttpBase = $"tcp://127.0.0.1:{zbase}",
            SweepInterval = TimeSpan.FromMilliseconds(100),
        };
        options = configure?.Invoke(options) ?? options;
        var server = new HttpServer(options, logger ?? LoggerFactory.CreateLogger("connmgr"));
        server.Start();
        var responder = new ZhttpResponder("resp1", ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{zbase}", bind: false), LoggerFactory.CreateLogger("resp1"));
        responder.Start();
        var harness = new ServerHarness(server, responder, zbase, httpPort);
        if (probe)
        {
            await harness.ProbeAsync();
        }
        return harness;
    }

    /// <summary>A second responder that only continues sessions (ROUTER + PUB), as the handler after a handoff.</summary>
    public ZhttpResponder AddContinuingResponder(string id)
    {
        var endpoints = ZhttpEndpoints.FromBase($"tcp://127.0.0.1:{ZhttpBase}", bind: false);
        var r = new ZhttpResponder(id, endpoints with { Initial = [] }, LoggerFactory.CreateLogger(id));
        r.Start();
        _extra.Add(r);
        return r;
    }

    /// <summary>Sends requests until one reaches the responder both ways (zmq connects are asynchronous).</summary>
    private async Task ProbeAsync()
    {
        var attempt = 0;
        await Eventually.TrueAsync(async () =>
        {
            using var client = await ConnectAsync();
            var path = $"/probe{++attempt}";
            await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: probe\r\n\r\n");
            // A slow start can deliver an earlier attempt's request late: skip those.
            ZhttpPacket? packet;
            do
            {
                packet = await NextPacketAsync(TimeSpan.FromMilliseconds(500));
            }
            while (packet is not null && packet.Uri != "http://probe" + path);
            if (packet is null)
            {
                return false;
            }
            var session = new ResponderSession(Responder, "resp1", packet);
            session.Respond(200, "OK", [], "ok", more: false);
            var text = await client.ReadResponseAsync(TimeSpan.FromSeconds(2));
            return text.Contains("200 OK", StringComparison.Ordinal);
        }, "connmgr and the responder to see each other", Wait);
    }

    public async Task<TestClient> ConnectAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, HttpPort);
        return new TestClient(tcp);
    }

    /// <summary>Next packet received by the main responder, or null after <paramref name="timeout"/>.</summary>
    public Task<ZhttpPacket?> NextPacketAsync(TimeSpan? timeout = null) => NextPacketAsync(Responder, timeout);

    public static async Task<ZhttpPacket?> NextPacketAsync(ZhttpResponder responder, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Wait);
        try
        {
            return await responder.Incoming.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async Task<ZhttpPacket> ExpectPacketAsync(ZhttpResponder? responder = null)
    {
        var p = await NextPacketAsync(responder ?? Responder, Wait);
        Assert.That(p, Is.Not.Null, "expected a zhttp packet from connmgr");
        return p!;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Responder.Dispose();
        foreach (var r in _extra)
        {
            r.Dispose();
        }
    }
}

/// <summary>The responder's view of one session: seq counters and addressing.</summary>
internal sealed class ResponderSession
{
    private readonly ZhttpResponder _responder;
    private readonly string _from;

    public ResponderSession(ZhttpResponder responder, string from, ZhttpPacket initial, int outSeq = 0)
    {
        _responder = responder;
        _from = from;
        Requester = initial.From!;
        Id = initial.Id!;
        OutSeq = outSeq;
    }

    public string Requester { get; }

    public string Id { get; }

    public int OutSeq { get; set; }

    public void Send(ZhttpPacket packet)
    {
        packet.From = _from;
        packet.Id = Id;
        packet.Seq = OutSeq++;
        packet.Multi = true;
        _responder.Send(Requester, packet, routerResp: true);
    }

    public void Respond(int code, string reason, IEnumerable<(string, string)> headers, string body, bool more, int credits = -1) =>
        Send(new ZhttpPacket
        {
            Code = code,
            Reason = reason,
            Headers = headers.Select(h => new HttpHeader(h.Item1, h.Item2)).ToList(),
            Body = Encoding.Latin1.GetBytes(body),
            More = more,
            Credits = credits,
        });

    public void Body(string body, bool more) => Send(new ZhttpPacket { Body = Encoding.Latin1.GetBytes(body), More = more });

    public void Credit(int credits) => Send(new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = credits });

    public void Control(ZhttpPacketType type) => Send(new ZhttpPacket { Type = type });
}

/// <summary>A raw TCP HTTP client: exact bytes out, exact bytes in.</summary>
internal sealed class TestClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly MemoryStream _received = new();
    private int _consumed;

    public TestClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public int LocalPort => ((IPEndPoint)_tcp.Client.LocalEndPoint!).Port;

    public Task SendAsync(string text) => _stream.WriteAsync(Encoding.Latin1.GetBytes(text)).AsTask();

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public void Close() => _tcp.Client.Close();

    public void ShutdownSend() => _tcp.Client.Shutdown(SocketShutdown.Send);

    /// <summary>Everything received until the server closes (or the timeout).</summary>
    public async Task<string> ReadToEndAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? ServerHarness.Wait);
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    break;
                }
                _received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"server did not close the connection; got so far: {Unread()}");
        }
        catch (IOException)
        {
            // Reset after the data: what we have is what we got.
        }
        return TakeAll();
    }

    /// <summary>Reads until <paramref name="done"/> holds for the unread text, then returns and consumes it.</summary>
    public async Task<string> ReadUntilAsync(Func<string, bool> done, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? ServerHarness.Wait);
        var buffer = new byte[8192];
        while (!done(Unread()))
        {
            int n;
            try
            {
                n = await _stream.ReadAsync(buffer, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out; got so far: {Unread()}");
            }
            if (n == 0)
            {
                throw new EndOfStreamException($"connection closed; got so far: {Unread()}");
            }
            _received.Write(buffer, 0, n);
        }
        return TakeAll();
    }

    /// <summary>Reads one complete response (Content-Length or chunked framing; no close-delimited).</summary>
    public Task<string> ReadResponseAsync(TimeSpan? timeout = null) => ReadUntilAsync(IsCompleteResponse, timeout);

    public async Task<bool> IsClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var n = await _stream.ReadAsync(new byte[1], cts.Token);
            return n == 0;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private string Unread() => Encoding.Latin1.GetString(_received.GetBuffer(), _consumed, (int)_received.Length - _consumed);

    private string TakeAll()
    {
        var s = Unread();
        _consumed = (int)_received.Length;
        return s;
    }

    internal static bool IsCompleteResponse(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }
        var head = text[..end];
        var body = text[(end + 4)..];
        if (head.StartsWith("HTTP/1.1 1", StringComparison.Ordinal))
        {
            return true;
        }
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return body.Length >= int.Parse(line[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
            if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase))
            {
                return body.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
            }
        }
        return true;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
        _received.Dispose();
    }
}
