using System.Globalization;
using System.Text;
using Pushpin.Common.Stats;

namespace Pushpin.Stats;

/// <summary>
/// Renders the monitor's state as text. A pure function of its arguments (no clock, no
/// console) so tests can pin the layout.
/// </summary>
internal static class StatsTable
{
    public static string Render(StatsState state, DateTimeOffset now, string spec, int maxChannels = 30)
    {
        ArgumentNullException.ThrowIfNull(state);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(1024);
        var sources = state.Sources.Count == 0 ? "none yet" : string.Join(", ", state.Sources.Order(StringComparer.Ordinal));
        sb.Append(inv, $"pushpin-stats  {spec}  {now.UtcDateTime:HH:mm:ss} UTC  up {(now - state.Start).TotalSeconds:0}s  from: {sources}\n");
        sb.Append('\n');

        var http = state.Connections.Values.Count(c => c.Type == StatsConnectionType.Http);
        var ws = state.Connections.Count - http;
        var rates = state.CurrentRates;
        var totals = state.Total;
        sb.Append(inv, $"{"connections",-14}{state.Connections.Count,10}   http {http}, ws {ws}\n");
        sb.Append(inv, $"{"subscriptions",-14}{state.Subscriptions.Count,10}\n");
        sb.Append(inv, $"{"",-14}{"total",10}  {"per second",12}\n");
        sb.Append(inv, $"{"requests",-14}{totals.Requests,10}  {rates.Requests,12:0.0}\n");
        sb.Append(inv, $"{"activity",-14}{totals.Activity,10}  {rates.Activity,12:0.0}\n");
        sb.Append(inv, $"{"messages in",-14}{totals.MessagesIn,10}  {rates.MessagesIn,12:0.0}\n");
        sb.Append(inv, $"{"messages out",-14}{totals.MessagesOut,10}  {rates.MessagesOut,12:0.0}\n");
        sb.Append('\n');

        if (state.LastReport is { } r)
        {
            var age = (now - state.LastReportAt).TotalSeconds;
            sb.Append(inv, $"last report ({r.From}, {age:0}s ago, covers {(r.Duration ?? 0) / 1000.0:0.0}s): connections {r.ConnectionsMax ?? 0}, minutes {r.ConnectionsMinutes ?? 0}, received {r.MessagesReceived ?? 0}, sent {r.MessagesSent ?? 0}, http-response-sent {r.HttpResponseMessagesSent ?? 0}\n");
        }
        else
        {
            sb.Append("last report: none yet\n");
        }
        if (state.InvalidFrames > 0)
        {
            sb.Append(inv, $"invalid frames: {state.InvalidFrames}\n");
        }
        sb.Append('\n');

        // One row per (channel, mode) subscription, plus channels that only had messages.
        var rows = new List<(string Channel, string Mode, string Subscribers, long Messages, long Deliveries)>();
        var subscribed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ((mode, channel), sub) in state.Subscriptions)
        {
            subscribed.Add(channel);
            state.Channels.TryGetValue(channel, out var c);
            rows.Add((channel, mode, sub.Subscribers?.ToString(inv) ?? "-", c?.Messages ?? 0, c?.Deliveries ?? 0));
        }
        foreach (var (channel, c) in state.Channels)
        {
            if (!subscribed.Contains(channel) && c.Messages > 0)
            {
                rows.Add((channel, "-", "0", c.Messages, c.Deliveries));
            }
        }
        rows.Sort((a, b) =>
        {
            var byName = string.CompareOrdinal(a.Channel, b.Channel);
            return byName != 0 ? byName : string.CompareOrdinal(a.Mode, b.Mode);
        });
        var width = Math.Clamp(rows.Count == 0 ? 7 : rows.Max(x => x.Channel.Length), 7, 40);
        sb.Append(inv, $"{"CHANNEL".PadRight(width)}  {"MODE",-8}  {"SUBSCRIBERS",11}  {"MESSAGES",9}  {"DELIVERIES",10}\n");
        foreach (var row in rows.Take(maxChannels))
        {
            var name = row.Channel.Length > width ? row.Channel[..(width - 1)] + "…" : row.Channel.PadRight(width);
            sb.Append(inv, $"{name}  {row.Mode,-8}  {row.Subscribers,11}  {row.Messages,9}  {row.Deliveries,10}\n");
        }
        if (rows.Count > maxChannels)
        {
            sb.Append(inv, $"… {rows.Count - maxChannels} more\n");
        }
        if (rows.Count == 0)
        {
            sb.Append("(no subscriptions or messages yet)\n");
        }
        return sb.ToString();
    }
}
