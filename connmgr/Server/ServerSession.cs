using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Transport;

namespace Pushpin.Connmgr.Server;

/// <summary>
/// The zhttp side of one HTTP request: ids, sequence numbers, credits and the responder's address.
/// </summary>
/// <remarks>
/// Two tasks send on a session (the request-body pump and the response loop), so the
/// sequence number and the enqueue happen under one lock: packets must leave in seq order.
/// The lock never covers a socket; the requester queues to its poller thread.
/// </remarks>
internal sealed class ServerSession
{
    /// <summary>Posted to <see cref="Inbox"/> when the client went away.</summary>
    public static readonly ZhttpPacket ClientGone = new() { Type = ZhttpPacketType.Cancel };

    /// <summary>Posted when nothing arrived for the session timeout.</summary>
    public static readonly ZhttpPacket Expired = new() { Type = ZhttpPacketType.Error };

    /// <summary>Posted when the request body framing was bad.</summary>
    public static readonly ZhttpPacket BadBody = new() { Type = ZhttpPacketType.Error };

    // Held by whoever locks several sessions at once (batched keep-alives and credits), so two
    // such batches never wait on each other's session locks.
    private static readonly Lock BatchLock = new();

    private readonly ZhttpRequester _requester;
    private readonly string _from;
    // Made by the first wait for window (request bodies, WebSockets): a held GET never needs one.
    private SemaphoreSlim? _windowSignal;
    private readonly Lock _lock = new();
    private int _outSeq;
    private long _sendCredits;
    // Credits for bytes the client took, not sent yet (see GrantCredits).
    private int _pendingCredits;
    private string? _target;
    private bool _ended;

    public ServerSession(string id, string from, ZhttpRequester requester, long now)
    {
        Id = id;
        _from = from;
        _requester = requester;
        LastReceived = now;
        LastSent = now;
    }

    public string Id { get; }

    /// <summary>Its entry on the session timer wheel, released when the session closes.</summary>
    public SessionTimer? Timer { get; set; }

    /// <summary>Packets for this session, in arrival order (single reader: the response loop).</summary>
    public PacketInbox Inbox { get; } = new();

    /// <summary>Next expected seq from the responder.</summary>
    public int InSeq { get; set; }

    /// <summary>Tick (ms) of the last packet received; read by the sweep.</summary>
    public long LastReceived { get; set; }

    /// <summary>Tick (ms) of the last packet sent; read by the sweep for keep-alives.</summary>
    public long LastSent { get; private set; }

    public bool HasTarget
    {
        get
        {
            lock (_lock)
            {
                return _target is not null;
            }
        }
    }

    /// <summary>The responder we send to, or null while unknown (before its first packet, after a handoff).</summary>
    public string? Target
    {
        get
        {
            lock (_lock)
            {
                return _target;
            }
        }
    }

    /// <summary>
    /// Gives the responder <paramref name="credits"/> more room: sent with the next batch of
    /// <paramref name="batcher"/>, or before this session's next packet if that comes first.
    /// </summary>
    public void GrantCredits(int credits, CreditBatcher batcher)
    {
        bool first;
        lock (_lock)
        {
            if (_target is null || _ended || credits <= 0)
            {
                return;
            }
            first = _pendingCredits == 0;
            _pendingCredits += credits;
        }
        if (first)
        {
            batcher.Enqueue(this);
        }
    }

    /// <summary>Sends this session's pending credits, if any, as their own packet.</summary>
    public void SendPendingCredits(long now)
    {
        lock (_lock)
        {
            SendPendingCreditsLocked(now);
        }
    }

    private void SendPendingCreditsLocked(long now)
    {
        if (_pendingCredits == 0 || _target is null || _ended)
        {
            return;
        }
        var packet = new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = _pendingCredits };
        _pendingCredits = 0;
        Stamp(packet);
        _requester.SendToRouter(_target, packet);
        LastSent = now;
    }

    /// <summary>Adopts the sender of a received packet as the address for what we send (this is what makes handoff work).</summary>
    public void SetTarget(string? from)
    {
        if (from is null)
        {
            return;
        }
        lock (_lock)
        {
            var wasUnknown = _target is null;
            _target = from;
            if (wasUnknown)
            {
                _windowSignal?.Release();
            }
        }
    }

    public void AddCredits(int credits)
    {
        if (credits <= 0)
        {
            return;
        }
        SemaphoreSlim? signal;
        lock (_lock)
        {
            _sendCredits += credits;
            signal = _windowSignal;
        }
        signal?.Release();
    }

    /// <summary>Waits until body bytes may be sent: credits granted and a responder to send them to.</summary>
    public async ValueTask<long> WaitForWindowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            SemaphoreSlim signal;
            lock (_lock)
            {
                if (_ended)
                {
                    return 0;
                }
                if (_sendCredits > 0 && _target is not null)
                {
                    return _sendCredits;
                }
                // Releases before it existed found nothing waiting; the state checked here covers them.
                signal = _windowSignal ??= new SemaphoreSlim(0);
            }
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the first packet through the PUSH socket.</summary>
    public void SendInitial(ZhttpPacket packet, long now)
    {
        lock (_lock)
        {
            Stamp(packet);
            _requester.SendInitial(packet);
            LastSent = now;
        }
    }

    /// <summary>Sends a body packet, spending credits. False when the session cannot send now.</summary>
    public bool SendBody(ZhttpPacket packet, long now)
    {
        lock (_lock)
        {
            if (_target is null || _ended || packet.Body.Length > _sendCredits)
            {
                return false;
            }
            SendPendingCreditsLocked(now);
            _sendCredits -= packet.Body.Length;
            Stamp(packet);
            _requester.SendToRouter(_target, packet);
            LastSent = now;
            return true;
        }
    }

    /// <summary>Sends a packet that spends no credits (WebSocket ping/pong/close) to the current responder, if known.</summary>
    public bool SendUncounted(ZhttpPacket packet, long now)
    {
        lock (_lock)
        {
            if (_target is null || _ended)
            {
                return false;
            }
            SendPendingCreditsLocked(now);
            Stamp(packet);
            _requester.SendToRouter(_target, packet);
            LastSent = now;
            return true;
        }
    }

    /// <summary>Sends a control packet to the current responder, if known.</summary>
    public bool Send(ZhttpPacketType type, long now, int credits = -1)
    {
        lock (_lock)
        {
            if (_target is null || _ended)
            {
                return false;
            }
            SendPendingCreditsLocked(now);
            var packet = new ZhttpPacket { Type = type, Credits = credits };
            Stamp(packet);
            _requester.SendToRouter(_target, packet);
            LastSent = now;
            return true;
        }
    }

    /// <summary>Answers handoff-start: acknowledge to the old responder, then forget it until someone else speaks.</summary>
    public void ProceedWithHandoff(long now)
    {
        lock (_lock)
        {
            if (_target is null || _ended)
            {
                return;
            }
            // The old responder must count every credit before it hands the session over.
            SendPendingCreditsLocked(now);
            var packet = new ZhttpPacket { Type = ZhttpPacketType.HandoffProceed };
            Stamp(packet);
            _requester.SendToRouter(_target, packet);
            _target = null;
            LastSent = now;
        }
    }

    /// <summary>Whether the responder announced <c>ext.multi</c> (it accepts batched keep-alives).</summary>
    public bool PeerMulti { get; set; }

    /// <summary>The responder address and how long ago we last sent, for the sweep's batching.</summary>
    public bool TryGetIdle(long now, out string target, out long idle)
    {
        lock (_lock)
        {
            target = _target!;
            idle = now - LastSent;
            return _target is not null && !_ended;
        }
    }

    /// <summary>
    /// One keep-alive packet for several sessions of the same responder (internals.md §3.8, at
    /// most 128 ids). Every session's lock is held from taking its seq until the packet is
    /// queued, so no later packet of any of them can overtake it.
    /// </summary>
    public static void SendBatchedKeepAlive(ZhttpRequester requester, string from, string target, List<ServerSession> sessions, long now)
    {
        var ids = new List<ZhttpSessionRef>(sessions.Count);
        using var locks = new BatchLocks(sessions);
        foreach (var s in sessions)
        {
            locks.EnterNext();
            if (s._target == target && !s._ended)
            {
                // Queued before the batch, so its seq still comes first on the wire.
                s.SendPendingCreditsLocked(now);
                ids.Add(new ZhttpSessionRef(s.Id, s._outSeq++));
                s.LastSent = now;
            }
        }
        if (ids.Count > 0)
        {
            requester.SendToRouter(target, new ZhttpPacket { From = from, Ids = ids, Type = ZhttpPacketType.KeepAlive, Multi = true });
        }
    }

    /// <summary>
    /// The pending credits of several sessions of one responder (<see cref="CreditBatcher"/>): one
    /// multi-id packet per distinct amount, the single-id form when only one session has that
    /// amount. Locks as <see cref="SendBatchedKeepAlive"/> does.
    /// </summary>
    public static void SendBatchedCredits(ZhttpRequester requester, string from, string target, List<ServerSession> sessions, long now)
    {
        var groups = new List<(int Credits, List<ZhttpSessionRef> Ids)>(1);
        using var locks = new BatchLocks(sessions);
        foreach (var s in sessions)
        {
            locks.EnterNext();
            if (s._pendingCredits == 0 || s._target != target || s._ended)
            {
                continue;
            }
            // Few distinct amounts (a fan-out writes the same bytes everywhere): a scan is enough.
            var index = 0;
            while (index < groups.Count && groups[index].Credits != s._pendingCredits)
            {
                index++;
            }
            if (index == groups.Count)
            {
                groups.Add((s._pendingCredits, new List<ZhttpSessionRef>(sessions.Count)));
            }
            groups[index].Ids.Add(new ZhttpSessionRef(s.Id, s._outSeq++));
            s._pendingCredits = 0;
            s.LastSent = now;
        }
        foreach (var (credits, ids) in groups)
        {
            var packet = new ZhttpPacket { From = from, Type = ZhttpPacketType.Credit, Credits = credits, Multi = true };
            if (ids.Count == 1)
            {
                // One session: the scalar id form, as upstream encoders do.
                packet.Id = ids[0].Id;
                packet.Seq = ids[0].Seq;
            }
            else
            {
                packet.Ids = ids;
            }
            requester.SendToRouter(target, packet);
        }
    }

    /// <summary>
    /// The locks of a batched send: the shared <see cref="BatchLock"/>, then each session's in list
    /// order (<see cref="EnterNext"/>), all held until disposed so no later packet of any of them
    /// can overtake the batch. A class, not a struct: a <c>using</c> variable is read-only, and a
    /// struct's count would be kept on a copy. One per batch, not per session.
    /// </summary>
    private sealed class BatchLocks : IDisposable
    {
        private readonly List<ServerSession> _sessions;
        private int _entered;

        public BatchLocks(List<ServerSession> sessions)
        {
            _sessions = sessions;
            BatchLock.Enter();
        }

        public void EnterNext() => _sessions[_entered++]._lock.Enter();

        public void Dispose()
        {
            for (var i = 0; i < _entered; i++)
            {
                _sessions[i]._lock.Exit();
            }
            BatchLock.Exit();
        }
    }

    /// <summary>Sends a keep-alive if the last packet went out longer ago than <paramref name="interval"/>.</summary>
    public bool KeepAliveIfDue(long now, long interval)
    {
        lock (_lock)
        {
            // Pending credits count as the sign of life if they are due to go anyway.
            SendPendingCreditsLocked(now);
            if (_target is null || _ended || now - LastSent < interval)
            {
                return false;
            }
            var packet = new ZhttpPacket { Type = ZhttpPacketType.KeepAlive };
            Stamp(packet);
            _requester.SendToRouter(_target, packet);
            LastSent = now;
            return true;
        }
    }

    /// <summary>Marks the session over; optionally tells the responder (cancel).</summary>
    public void End(bool cancel, long now)
    {
        SemaphoreSlim? signal;
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }
            // The session is over: room for more response body means nothing now.
            _pendingCredits = 0;
            if (cancel && _target is not null)
            {
                var packet = new ZhttpPacket { Type = ZhttpPacketType.Cancel };
                Stamp(packet);
                _requester.SendToRouter(_target, packet);
                LastSent = now;
            }
            _ended = true;
            signal = _windowSignal;
        }
        signal?.Release();
    }

    private void Stamp(ZhttpPacket packet)
    {
        packet.From = _from;
        packet.Id = Id;
        packet.Seq = _outSeq++;
        packet.Multi = true;
    }
}
