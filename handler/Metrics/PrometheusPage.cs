using System.Globalization;
using System.Text;

namespace Pushpin.Handler.Metrics;

/// <summary>
/// The text of the metrics endpoint (<c>[handler] prometheus_port</c>): upstream's five metrics
/// (request_received, connection_connected, connection_minute, message_received, message_sent)
/// then ours: connections and subscriptions held now, publishes received, delivered and dropped
/// (by reason). Every name gets <c>prometheus_prefix</c>.
/// </summary>
internal sealed class PrometheusPage(string prefix, StatsTotals totals, HandlerCounters counters)
{
    public string Render()
    {
        var sb = new StringBuilder(2048);
        Metric(sb, "request_received", "counter", "Number of requests received", totals.RequestsReceived);
        Metric(sb, "connection_connected", "gauge", "Number of concurrent connections", totals.ConnectionsMax);
        Metric(sb, "connection_minute", "counter", "Number of minutes clients have been connected", totals.ConnectionMinutes);
        Metric(sb, "message_received", "counter", "Number of messages received by the publish API", totals.MessagesReceived);
        Metric(sb, "message_sent", "counter", "Number of messages sent to clients", totals.MessagesSent);

        Metric(sb, "handler_connections", "gauge", "HTTP sessions held by the handler now", counters.Connections);
        Metric(sb, "handler_subscriptions", "gauge", "Channels with local subscribers now", counters.Subscriptions);
        Metric(sb, "handler_publish_received", "counter", "Publish items received by any input", counters.Received);
        Metric(sb, "handler_publish_delivered", "counter", "Publish items delivered to a session", counters.DeliveredCount);
        var name = prefix + "handler_publish_dropped";
        sb.Append("# HELP ").Append(name).Append(" Publish deliveries dropped, by reason\n");
        sb.Append("# TYPE ").Append(name).Append(" counter\n");
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            sb.Append(name).Append("{reason=\"").Append(ReasonLabel(reason)).Append("\"} ")
                .Append(counters.DroppedCount(reason).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return sb.ToString();
    }

    private void Metric(StringBuilder sb, string name, string type, string help, long value)
    {
        sb.Append("# HELP ").Append(prefix).Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(prefix).Append(name).Append(' ').Append(type).Append('\n');
        sb.Append(prefix).Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static string ReasonLabel(DropReason reason) => reason switch
    {
        DropReason.SessionQueueFull => "session_queue_full",
        DropReason.Hwm => "hwm",
        DropReason.Filtered => "filtered",
        DropReason.FilterError => "filter_error",
        DropReason.ContentFilterMismatch => "content_filter_mismatch",
        DropReason.Duplicate => "duplicate",
        DropReason.SequencerOverflow => "sequencer_overflow",
        _ => "other",
    };
}
