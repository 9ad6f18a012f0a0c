namespace Pushpin.Handler.Sequencing;

/// <summary>
/// The last published id per channel (upstream's PublishLastIds): what the sequencer orders
/// against and what accept-time prev-id checks compare with. Bounded; the least recently set
/// channel goes first.
/// </summary>
internal sealed class PublishLastIds(int capacity = 1_000_000)
{
    private readonly Dictionary<string, LinkedListNode<(string Channel, string Id)>> _table = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Channel, string Id)> _recent = new();

    public int Count => _table.Count;

    public string? Get(string channel) => _table.TryGetValue(channel, out var node) ? node.Value.Id : null;

    public void Set(string channel, string id)
    {
        if (_table.TryGetValue(channel, out var node))
        {
            _recent.Remove(node);
            node.Value = (channel, id);
            _recent.AddLast(node);
            return;
        }
        while (_table.Count >= capacity && _recent.First is { } oldest)
        {
            _recent.RemoveFirst();
            _table.Remove(oldest.Value.Channel);
        }
        _table[channel] = _recent.AddLast((channel, id));
    }

    public void Remove(string channel)
    {
        if (_table.Remove(channel, out var node))
        {
            _recent.Remove(node);
        }
    }

    public void Clear()
    {
        _table.Clear();
        _recent.Clear();
    }
}
