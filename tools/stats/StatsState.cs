using Pushpin.Common.Stats;

namespace Pushpin.Stats;

/// <summary>
/// What the monitor knows, built from the packets it has seen: live connections and
/// subscriptions (forgotten on <c>unavailable</c> or after their TTL without refresh, as a stats
/// consumer must), per-channel message counts, running totals and per-second rates.
/// Not thread-safe: the monitor's single loop owns it.
/// </summary>
internal sealed class StatsState
{
    // Rates are measured over this window (or since start, if shorter).
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, ConnectionEntry> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Mode, string Channel), SubscriptionEntry> _subscriptions = new();
    private readonly Dictionary<string, ChannelEntry> _channels = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sources = new(StringComparer.Ordinal);
    private readonly Queue<(DateTimeOffset At, Totals Totals)> _samples = new();
    private Totals _totals;

    public StatsState(DateTimeOffset start)
    {
        Start = start;
        _samples.Enqueue((start, _totals));
    }

    public DateTimeOffset Start { get; }

    public IReadOnlyDictionary<string, ConnectionEntry> Connections => _connections;

    public IReadOnlyDictionary<(string Mode, string Channel), SubscriptionEntry> Subscriptions => _subscriptions;

    public IReadOnlyDictionary<string, ChannelEntry> Channels => _channels;

    public IReadOnlyCollection<string> Sources => _sources;

    public Totals Total => _totals;

    public StatsPacket? LastReport { get; private set; }

    public DateTimeOffset LastReportAt { get; private set; }

    public long InvalidFrames { get; private set; }

    /// <summary>Per-second rates over the last few seconds.</summary>
    public Rates CurrentRates { get; private set; }

    public void Invalid() => InvalidFrames++;

    public void Apply(StatsPacket p, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!string.IsNullOrEmpty(p.From))
        {
            _sources.Add(p.From);
        }
        _totals.Packets++;
        switch (p.Type)
        {
            case StatsPacketType.Activity:
                _totals.Activity += p.Count;
                break;
            case StatsPacketType.Counts:
                _totals.Requests += p.RequestsReceived ?? 0;
                break;
            case StatsPacketType.Message:
                var channel = Channel(p.Channel ?? string.Empty);
                channel.Messages++;
                channel.Deliveries += p.Count;
                channel.LastItemId = p.ItemId ?? channel.LastItemId;
                _totals.MessagesOut += p.Count;
                break;
            case StatsPacketType.Connected:
                _connections[p.ConnectionId ?? string.Empty] = new ConnectionEntry(p.ConnectionType, p.PeerAddress, p.From, now + TimeSpan.FromSeconds(p.Ttl));
                break;
            case StatsPacketType.Disconnected:
                _connections.Remove(p.ConnectionId ?? string.Empty);
                break;
            case StatsPacketType.Subscribed:
                _subscriptions[(p.Mode ?? string.Empty, p.Channel ?? string.Empty)] = new SubscriptionEntry(p.Subscribers, now + TimeSpan.FromSeconds(p.Ttl));
                Channel(p.Channel ?? string.Empty);
                break;
            case StatsPacketType.Unsubscribed:
                _subscriptions.Remove((p.Mode ?? string.Empty, p.Channel ?? string.Empty));
                break;
            case StatsPacketType.Report:
                LastReport = p;
                LastReportAt = now;
                _totals.MessagesIn += p.MessagesReceived ?? 0;
                _totals.ReportedSent += p.MessagesSent ?? 0;
                _totals.ConnectionMinutes += p.ConnectionsMinutes ?? 0;
                break;
        }
    }

    /// <summary>Forgets entries whose TTL ran out and takes a rate sample.</summary>
    public void Tick(DateTimeOffset now)
    {
        foreach (var (id, c) in _connections.ToList())
        {
            if (c.Expires <= now)
            {
                _connections.Remove(id);
            }
        }
        foreach (var (key, s) in _subscriptions.ToList())
        {
            if (s.Expires <= now)
            {
                _subscriptions.Remove(key);
            }
        }
        _samples.Enqueue((now, _totals));
        while (_samples.Count > 2 && now - _samples.Peek().At > RateWindow)
        {
            _samples.Dequeue();
        }
        var (at, then) = _samples.Peek();
        var seconds = (now - at).TotalSeconds;
        CurrentRates = seconds <= 0 ? default : new Rates(
            (_totals.Activity - then.Activity) / seconds,
            (_totals.Requests - then.Requests) / seconds,
            (_totals.MessagesIn - then.MessagesIn) / seconds,
            (_totals.MessagesOut - then.MessagesOut) / seconds);
    }

    private ChannelEntry Channel(string name)
    {
        if (!_channels.TryGetValue(name, out var c))
        {
            c = new ChannelEntry();
            _channels[name] = c;
        }
        return c;
    }

    internal sealed record ConnectionEntry(StatsConnectionType Type, string? PeerAddress, string? From, DateTimeOffset Expires);

    internal sealed record SubscriptionEntry(long? Subscribers, DateTimeOffset Expires);

    internal sealed class ChannelEntry
    {
        public long Messages { get; set; }

        public long Deliveries { get; set; }

        public string? LastItemId { get; set; }
    }

    internal struct Totals
    {
        public long Packets;
        public long Activity;
        public long Requests;
        public long MessagesIn;
        public long MessagesOut;
        public long ReportedSent;
        public long ConnectionMinutes;
    }

    internal readonly record struct Rates(double Activity, double Requests, double MessagesIn, double MessagesOut);
}
