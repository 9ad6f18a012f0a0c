using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Transport;

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

    // Cancelled by the sweep when the backend stayed silent past ClientOptions.StreamTimeout.
    private readonly CancellationTokenSource _timedOut = new();
    private long _streamDeadline = long.MaxValue;

    // The zhttp request's own `timeout` (ms, HTTP only, as zurl): the whole exchange must be done by then.
    private readonly long _requestDeadline = long.MaxValue;
    private volatile bool _requestTimedOut;
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
        if (initial.Timeout > 0)
        {
            _requestDeadline = LastReceived + initial.Timeout;
        }
    }

    /// <summary>Its entry on the client-mode timer wheel, released when the session ends.</summary>
    public ClientSessionTimer? Timer { get; set; }

    /// <summary>Due time of the session's live wheel entry (Interlocked; see <see cref="HttpClientMode.ArmEarlier"/>).</summary>
    public long ArmedAt = long.MaxValue;

    /// <summary>When the backend's silence becomes a <c>connection-timeout</c> (ms ticks).</summary>
    public long StreamDeadline => Volatile.Read(ref _streamDeadline);

    /// <summary>When the request's own <c>timeout</c> runs out (ms ticks; <see cref="long.MaxValue"/> when it set none).</summary>
    public long RequestDeadline => _isWebSocket ? long.MaxValue : _requestDeadline;

    public string Requester { get; }

    public string Id { get; }

    public bool RouterResp { get; }

    public PacketInbox Inbox { get; } = new();

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

    /// <summary>The backend did something: its inactivity clock starts again.</summary>
    private void RefreshStreamTimeout()
    {
        var deadline = Environment.TickCount64 + (long)_owner.Options.StreamTimeout.TotalMilliseconds;
        Volatile.Write(ref _streamDeadline, deadline);
        _owner.ArmEarlier(this, deadline + 1);
    }

    /// <summary>Called by the sweep: fails the exchange with <c>connection-timeout</c> once the backend was silent too long.</summary>
    public void TimeOutIfSilent(long now)
    {
        if (now <= Volatile.Read(ref _streamDeadline))
        {
            return;
        }
        try
        {
            _timedOut.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>Called by the sweep: fails the exchange with <c>session-timeout</c> once the request's <c>timeout</c> ran out.</summary>
    public void TimeOutRequestIfDue(long now)
    {
        if (now < RequestDeadline)
        {
            return;
        }
        _requestTimedOut = true;
        try
        {
            _timedOut.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>The requester announced <c>ext.multi</c>: keep-alives may go in multi-id packets.</summary>
    public bool PeerMulti => _initial.Multi;

    /// <summary>
    /// Keep-alives of several sessions of one requester in one multi-id packet (at most 128 ids).
    /// Every session's lock is held from taking its seq until the packet is queued, so no later
    /// packet of any of them overtakes it.
    /// </summary>
    public static void SendBatchedKeepAlive(HttpClientMode owner, string requester, bool routerResp, List<ClientSession> sessions, long now)
    {
        var ids = new List<ZhttpSessionRef>(sessions.Count);
        var locked = 0;
        try
        {
            foreach (var s in sessions)
            {
                s._lock.Enter();
                locked++;
                if (!s._ended)
                {
                    ids.Add(new ZhttpSessionRef(s.Id, s._outSeq++));
                    s.LastSent = now;
                }
            }
            if (ids.Count > 0)
            {
                owner.Responder.Send(requester, new ZhttpPacket { From = owner.Options.InstanceId, Ids = ids, Type = ZhttpPacketType.KeepAlive, Multi = true }, routerResp);
            }
        }
        finally
        {
            for (var i = 0; i < locked; i++)
            {
                sessions[i]._lock.Exit();
            }
        }
    }

    /// <summary>Whether the last packet went out at least <paramref name="interval"/> ago (and the session goes on).</summary>
    public bool IsKeepAliveDue(long now, long interval)
    {
        lock (_lock)
        {
            return !_ended && now - LastSent >= interval;
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
