using System.Collections.Concurrent;
using NetMQ;

namespace Pushpin.Common.Transport;

/// <summary>
/// Hands items from any thread to the thread that runs a <see cref="NetMQPoller"/>, which
/// passes each to <c>handle</c> in the order they were posted.
/// </summary>
/// <remarks>
/// A plain <see cref="NetMQQueue{T}"/> sends one message over an inproc socket per item, and
/// every NetMQ send checks the socket's command mailbox with a <c>poll</c> system call: under a
/// fan-out that is a system call per zhttp packet. Here items wait in a
/// <see cref="ConcurrentQueue{T}"/> and only the first post after the poller last drained sends
/// a wake-up, so a burst costs one.
/// </remarks>
public sealed class PollerMailbox<T> : IDisposable
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly NetMQQueue<byte> _wake = new();
    private readonly Action<T> _handle;
    // 1 from the post that sent a wake-up until the poller starts draining.
    private int _wakePending;

    public PollerMailbox(NetMQPoller poller, Action<T> handle)
    {
        _handle = handle;
        _wake.ReceiveReady += (_, e) => Drain(e.Queue);
        poller.Add(_wake);
    }

    /// <summary>Whether nothing is waiting for the poller (for a drain before stopping).</summary>
    public bool IsEmpty => _items.IsEmpty;

    /// <summary>Queues <paramref name="item"/> for the poller thread (any thread).</summary>
    public void Post(T item)
    {
        _items.Enqueue(item);
        if (Volatile.Read(ref _wakePending) == 0 && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _wake.Enqueue(0);
        }
    }

    private void Drain(NetMQQueue<byte> wake)
    {
        while (wake.TryDequeue(out _, TimeSpan.Zero))
        {
        }
        // Cleared (with a full fence) before draining: an item posted from here on either is
        // seen below or sends a new wake-up, so none is left behind.
        Interlocked.Exchange(ref _wakePending, 0);
        while (_items.TryDequeue(out var item))
        {
            _handle(item);
        }
    }

    /// <summary>Takes the next waiting item on the caller's thread: only once the poller has stopped (a last flush).</summary>
    public bool TryTake(out T item) => _items.TryDequeue(out item!);

    public void Dispose() => _wake.Dispose();
}
