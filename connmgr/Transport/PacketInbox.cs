using System.Threading.Tasks.Sources;
using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Transport;

/// <summary>
/// The zhttp packets waiting for one session: any thread writes (the zhttp socket's, the input
/// pump, timers), one task reads. A held connection keeps one for its whole life, so it is kept
/// small: an unbounded <see cref="System.Threading.Channels.Channel{T}"/> costs about 1 KB per
/// session (a 32-slot segment and reader operations) where this is about 100 bytes. A packet
/// that arrives while the reader waits goes straight to it; the queue is made only when packets
/// pile up.
/// </summary>
internal sealed class PacketInbox : IValueTaskSource<ZhttpPacket>
{
    private readonly Lock _lock = new();
    private Queue<ZhttpPacket>? _queue;
    private ManualResetValueTaskSourceCore<ZhttpPacket> _waiter = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    private CancellationTokenRegistration _cancel;

    /// <summary>The reading side (the same object; the name keeps call sites reading as a channel's).</summary>
    public PacketInbox Reader => this;

    /// <summary>The writing side (the same object).</summary>
    public PacketInbox Writer => this;

    /// <summary>Queues <paramref name="packet"/>, or hands it to the waiting reader. Always succeeds.</summary>
    public bool TryWrite(ZhttpPacket packet)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                (_queue ??= new Queue<ZhttpPacket>(4)).Enqueue(packet);
                return true;
            }
            _waiting = false;
        }
        // The reader is parked on us: wake it outside the lock (its continuation runs elsewhere).
        _waiter.SetResult(packet);
        return true;
    }

    public bool TryRead(out ZhttpPacket packet)
    {
        lock (_lock)
        {
            if (_queue is { Count: > 0 } q)
            {
                packet = q.Dequeue();
                return true;
            }
        }
        packet = null!;
        return false;
    }

    public bool TryPeek(out ZhttpPacket packet)
    {
        lock (_lock)
        {
            if (_queue is { Count: > 0 } q)
            {
                packet = q.Peek();
                return true;
            }
        }
        packet = null!;
        return false;
    }

    /// <summary>The next packet; one reader at a time.</summary>
    public ValueTask<ZhttpPacket> ReadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_queue is { Count: > 0 } q)
            {
                return new ValueTask<ZhttpPacket>(q.Dequeue());
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<ZhttpPacket>(cancellationToken);
            }
            _waiter.Reset();
            _waiting = true;
        }
        if (cancellationToken.CanBeCanceled)
        {
            _cancel = cancellationToken.UnsafeRegister(static (state, token) => ((PacketInbox)state!).CancelWait(token), this);
        }
        return new ValueTask<ZhttpPacket>(this, _waiter.Version);
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

    ZhttpPacket IValueTaskSource<ZhttpPacket>.GetResult(short token)
    {
        // The reader's side, after ReadAsync returned: the registration it made is in place.
        var registration = _cancel;
        _cancel = default;
        registration.Unregister();
        return _waiter.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<ZhttpPacket>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<ZhttpPacket>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
