using System.Threading.Channels;
using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Client;

/// <summary>
/// One outbound request: the zhttp responder side toward the proxy, and the HTTP/1.1 exchange
/// with the backend.
/// </summary>
/// <remarks>The inbox loop (request body, credits, cancel) and the response relay both send,
/// so seq assignment and enqueue happen under one lock.</remarks>
internal sealed partial class ClientSession
{
    private readonly HttpClientMode _owner;
    private readonly ZhttpPacket _initial;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _creditSignal = new(0);
    private readonly CancellationTokenSource _abort = new();
    private int _outSeq;
    private long _responseCredits;
    private bool _ended;
    private bool _isWebSocket;

    public ClientSession(HttpClientMode owner, ZhttpPacket initial)
    {
        _owner = owner;
        _initial = initial;
        Requester = initial.From!;
        Id = initial.Id!;
        RouterResp = initial.RouterResp;
        InSeq = initial.Seq >= 0 ? initial.Seq + 1 : 0;
        _responseCredits = initial.Credits >= 0 ? initial.Credits : owner.Options.BufferSize;
        LastReceived = LastSent = Environment.TickCount64;
    }

    public string Requester { get; }

    public string Id { get; }

    public bool RouterResp { get; }

    public Channel<ZhttpPacket> Inbox { get; } = Channel.CreateUnbounded<ZhttpPacket>(new UnboundedChannelOptions { SingleReader = true });

    public int InSeq { get; set; }

    public long LastReceived { get; set; }

    public long LastSent { get; private set; }

    /// <summary>Ends the session without telling the requester (it cancelled, or it is gone).</summary>
    public void Abort()
    {
        lock (_lock)
        {
            _ended = true;
        }
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    public void KeepAliveIfDue(long now, long interval)
    {
        lock (_lock)
        {
            if (_ended || now - LastSent < interval)
            {
                return;
            }
        }
        Send(new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });
    }

    private void Send(ZhttpPacket packet)
    {
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }
            packet.From = _owner.Options.InstanceId;
            packet.Id = Id;
            packet.Seq = _outSeq++;
            packet.Multi = true;
            _owner.Responder.Send(Requester, packet, RouterResp);
            LastSent = Environment.TickCount64;
            // A WebSocket session goes on after its 101 and its complete messages; HTTP ends with the last body packet.
            if (packet.Type is ZhttpPacketType.Error or ZhttpPacketType.Cancel || (packet.Type == ZhttpPacketType.Data && !packet.More && !_isWebSocket))
            {
                _ended = true;
            }
        }
    }

    private void SendError(string condition) => Send(new ZhttpPacket { Type = ZhttpPacketType.Error, Condition = condition });

    private void AddCredits(int credits)
    {
        if (credits <= 0)
        {
            return;
        }
        lock (_lock)
        {
            _responseCredits += credits;
        }
        _creditSignal.Release();
    }

    private void SpendCredits(long n)
    {
        lock (_lock)
        {
            _responseCredits -= n;
        }
    }

    private async ValueTask<long> WaitForCreditsAsync(CancellationToken ct)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_responseCredits > 0)
                {
                    return _responseCredits;
                }
            }
            await _creditSignal.WaitAsync(ct).ConfigureAwait(false);
        }
    }
}
