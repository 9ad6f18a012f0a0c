namespace Pushpin.Handler.Metrics;

/// <summary>
/// Publish counters the Prometheus endpoint reads. Written on the engine loop, read from the
/// HTTP thread: plain Interlocked counters, no locks.
/// </summary>
internal sealed class HandlerCounters
{
    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];
    private long _received;
    private long _delivered;
    private long _connections;
    private long _subscriptions;

    /// <summary>Items accepted by a publish input (before de-duplication and sequencing).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Items written to a client (one per session).</summary>
    public long DeliveredCount => Interlocked.Read(ref _delivered);

    /// <summary>Sessions held now.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Channels with at least one local subscriber now.</summary>
    public long Subscriptions => Interlocked.Read(ref _subscriptions);

    public void PublishReceived() => Interlocked.Increment(ref _received);

    public void Delivered() => Interlocked.Increment(ref _delivered);

    public void Dropped(DropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);

    public long DroppedCount(DropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    public long DroppedTotal
    {
        get
        {
            long n = 0;
            for (var i = 0; i < _dropped.Length; i++)
            {
                n += Interlocked.Read(ref _dropped[i]);
            }
            return n;
        }
    }

    public void SetConnections(long n) => Interlocked.Exchange(ref _connections, n);

    public void SetSubscriptions(long n) => Interlocked.Exchange(ref _subscriptions, n);
}
