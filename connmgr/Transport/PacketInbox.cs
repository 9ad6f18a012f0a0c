using System.Threading.Tasks.Sources;
using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Transport;

/// <summary>
/// The zhttp packets waiting for one session: any thread writes (the zhttp socket's, the input
/// pump, timers), one task reads. A held connection keeps one for its whole life, so it is kept
/// small: an unbounded <see cref="System.Threading.Channels.Channel{T}"/> costs about 1 KB per
/// session (a 32-slot segment and reader operations) where this is about 100 bytes. A packet
/// that arrives while the reader waits goes straight to it; the queue is made only when packets
/// pile up. Each entry carries the session's seq (see <see cref="SessionPacket"/>).
/// </summary>
internal sealed class PacketInbox : IValueTaskSource<SessionPacket>
{
    private readonly Lock _lock = new();
    private Queue<SessionPacket>? _queue;
    private ManualResetValueTaskSourceCore<SessionPacket> _waiter = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    private CancellationTokenRegistration _cancel;

    /// <summary>Queues <paramref name="packet"/> with its own seq, or hands it to the waiting reader. Always succeeds.</summary>
    public bool TryWrite(ZhttpPacket packet) => TryWrite(new SessionPacket(packet, packet.Seq));

    /// <summary>Queues <paramref name="entry"/>, or hands it to the waiting reader. Always succeeds.</summary>
    public bool TryWrite(SessionPacket entry)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                (_queue ??= new Queue<SessionPacket>(4)).Enqueue(entry);
                return true;
            }
            _waiting = false;
        }
        // The reader is parked on us: wake it outside the lock (its continuation runs elsewhere).
        _waiter.SetResult(entry);
        return true;
    }

    public bool TryRead(out SessionPacket entry)
    {
        lock (_lock)
        {
            if (_queue is { Count: > 0 } q)
            {
                entry = q.Dequeue();
                return true;
            }
        }
        entry = default;
        return false;
    }

    /// <summary>The packet the next read would return, if one is queued.</summary>
    public bool TryPeek(out ZhttpPacket packet)
    {
        lock (_lock)
        {
            if (_queue is { Count: > 0 } q)
            {
                packet = q.Peek().Packet;
                return true;
            }
        }
        packet = null!;
        return false;
    }

    /// <summary>The next packet with its seq; one reader at a time.</summary>
    public ValueTask<SessionPacket> ReadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_queue is { Count: > 0 } q)
            {
                return new ValueTask<SessionPacket>(q.Dequeue());
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<SessionPacket>(cancellationToken);
            }
            _waiter.Reset();
            _waiting = true;
        }
        if (cancellationToken.CanBeCanceled)
        {
            _cancel = cancellationToken.UnsafeRegister(static (state, token) => ((PacketInbox)state!).CancelWait(token), this);
        }
        return new ValueTask<SessionPacket>(this, _waiter.Version);
    }

    private void CancelWait(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                return;
            }
            _waiting = false;
        }
        _waiter.SetException(new OperationCanceledException(token));
    }

    SessionPacket IValueTaskSource<SessionPacket>.GetResult(short token)
    {
        // The reader's side, after ReadAsync returned: the registration it made is in place.
        var registration = _cancel;
        _cancel = default;
        registration.Unregister();
        return _waiter.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<SessionPacket>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<SessionPacket>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
