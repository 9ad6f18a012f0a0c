using System.Text;
using System.Text.Json;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Sessions;

namespace Pushpin.Proxy.WebSockets;

/// <summary>
/// The built-in <c>test</c> target for WebSockets (upstream's testwebsocket): <c>/ws</c> accepts
/// and echoes; on a GRIP route it answers with the <c>grip</c> extension, subscribes the
/// connection to the <c>channel</c> query parameters (default <c>test</c>) and echoes
/// messages with the <c>m:</c> prefix. Other paths are refused with 404.
/// </summary>
/// <remarks>Runs inside the proxy, synchronously on the engine loop; nothing is buffered.</remarks>
internal sealed class TestWsBackend : IWsBackend
{
    private static readonly byte[] MessagePrefix = "m:"u8.ToArray();

    private readonly WsProxy _host;
    private readonly WsProxySession _session;
    private bool _grip;
    private bool _connected;

    public TestWsBackend(WsProxy host, WsProxySession session)
    {
        _host = host;
        _session = session;
    }

    public int BufferedContent => 0;

    public bool Finished { get; private set; }

    public void Start()
    {
        if (TestTarget.NormalizedPath(_session.Uri) != "/ws")
        {
            Finish();
            _session.OnBackendRejected(404, "Not Found", [new HttpHeader("Content-Type", "text/plain")], "no such test resource\n"u8.ToArray());
            return;
        }
        // The proxy offers GRIP to backends on GRIP routes only; the test backend always takes it.
        _grip = _session.Route.Grip;
        _connected = true;
        _session.OnBackendConnected("Switching Protocols", _grip ? [new HttpHeader("Sec-WebSocket-Extensions", "grip")] : []);
        if (!_grip)
        {
            return;
        }
        foreach (var channel in TestTarget.Channels(_session.Uri))
        {
            _session.OnBackendMessage(WsMessageKind.Text, SubscribeMessage(channel));
        }
    }

    public void Write(WsMessageKind kind, byte[] content)
    {
        if (!_connected || Finished)
        {
            return;
        }
        if (_grip && kind is WsMessageKind.Text or WsMessageKind.Binary)
        {
            var prefixed = new byte[MessagePrefix.Length + content.Length];
            MessagePrefix.CopyTo(prefixed, 0);
            content.CopyTo(prefixed, MessagePrefix.Length);
            content = prefixed;
        }
        _session.OnBackendMessage(kind, content);
        _session.OnBackendWritten();
    }

    public void Close(int? code, string? reason)
    {
        if (!_connected || Finished)
        {
            return;
        }
        // Echo the close: the handshake with the test backend completes at once.
        Finish();
        _session.OnBackendClosed(code, reason ?? string.Empty);
    }

    public void Disconnect() => Finish();

    public void Release(int bytes)
    {
        // No credits toward this backend.
    }

    public void Refresh()
    {
        // Nothing to poll.
    }

    public void OnPacket(ZhttpPacket packet)
    {
        // No zhttp peer behind the test backend.
    }

    public void OnTick(long nowMs)
    {
        // No timers.
    }

    private static byte[] SubscribeMessage(string channel)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["type"] = "subscribe", ["channel"] = channel });
        return Encoding.UTF8.GetBytes("c:" + json);
    }

    private void Finish()
    {
        if (Finished)
        {
            return;
        }
        Finished = true;
        _host.Sweep(this);
    }
}
