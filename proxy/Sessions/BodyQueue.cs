namespace Pushpin.Proxy.Sessions;

/// <summary>
/// Body bytes waiting for credits, kept as the received buffers (no copying); a partial take
/// advances an offset into the head buffer instead of rebuilding the queue.
/// </summary>
internal sealed class BodyQueue
{
    private readonly Queue<ReadOnlyMemory<byte>> _chunks = new();
    private int _headOffset;

    public int Count { get; private set; }

    public void Enqueue(ReadOnlyMemory<byte> data)
    {
        if (data.Length == 0)
        {
            return;
        }
        _chunks.Enqueue(data);
        Count += data.Length;
    }

    /// <summary>Takes up to <paramref name="max"/> bytes from the front (never spanning two buffers).</summary>
    public ReadOnlyMemory<byte> Take(int max)
    {
        if (Count == 0 || max <= 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        var head = _chunks.Peek();
        var available = head.Length - _headOffset;
        var n = Math.Min(available, max);
        var slice = head.Slice(_headOffset, n);
        if (n == available)
        {
            _chunks.Dequeue();
            _headOffset = 0;
        }
        else
        {
            _headOffset += n;
        }
        Count -= n;
        return slice;
    }

    public void Clear()
    {
        _chunks.Clear();
        _headOffset = 0;
        Count = 0;
    }
}
