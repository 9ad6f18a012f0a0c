using Pushpin.Common.Stats;
using Pushpin.Stats;

namespace Pushpin.ProtocolTests.Stats;

/// <summary>pushpin-stats' state and table renderer, as pure functions of the packets seen.</summary>
public sealed class StatsMonitorUnitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Table_lists_connections_subscriptions_rates_and_the_last_report()
    {
        var state = new StatsState(T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Connected, From = "handler_1", ConnectionId = "a", ConnectionType = StatsConnectionType.Http, Ttl = 120 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Connected, From = "handler_1", ConnectionId = "b", ConnectionType = StatsConnectionType.WebSocket, Ttl = 120 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Subscribed, From = "handler_1", Mode = "stream", Channel = "news", Ttl = 60, Subscribers = 2 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Subscribed, From = "handler_1", Mode = "ws", Channel = "chat", Ttl = 60, Subscribers = 1 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Message, From = "handler_1", Channel = "news", Transport = "http-stream", Count = 2 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Message, From = "handler_1", Channel = "gone", Transport = "http-response", Count = 0 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Counts, From = "proxy_2", RequestsReceived = 10 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Activity, From = "proxy_2", Count = 20 }, T0);
        var now = T0.AddSeconds(2);
        state.Apply(new StatsPacket { Type = StatsPacketType.Report, From = "handler_1", ConnectionsMax = 2, ConnectionsMinutes = 2, MessagesReceived = 4, MessagesSent = 2, HttpResponseMessagesSent = 0, Duration = 2000 }, now);
        state.Tick(now);

        var text = StatsTable.Render(state, now, "tcp://127.0.0.1:5564");
        var lines = text.Split('\n');
        Assert.That(lines[0], Is.EqualTo("pushpin-stats  tcp://127.0.0.1:5564  12:00:02 UTC  up 2s  from: handler_1, proxy_2"));
        Assert.That(text, Does.Contain("connections            2   http 1, ws 1\n"));
        Assert.That(text, Does.Contain("subscriptions          2\n"));
        Assert.That(text, Does.Contain("requests              10           5.0\n"));
        Assert.That(text, Does.Contain("activity              20          10.0\n"));
        Assert.That(text, Does.Contain("messages in            4           2.0\n"));
        Assert.That(text, Does.Contain("messages out           2           1.0\n"));
        Assert.That(text, Does.Contain("last report (handler_1, 0s ago, covers 2.0s): connections 2, minutes 2, received 4, sent 2, http-response-sent 0\n"));
        var table = lines.SkipWhile(l => !l.StartsWith("CHANNEL", StringComparison.Ordinal)).ToList();
        Assert.That(table[0], Is.EqualTo("CHANNEL  MODE      SUBSCRIBERS   MESSAGES  DELIVERIES"));
        Assert.That(table[1], Is.EqualTo("chat     ws                  1          0           0"));
        Assert.That(table[2], Is.EqualTo("gone     -                   0          1           0"));
        Assert.That(table[3], Is.EqualTo("news     stream              2          1           2"));
    }

    [Test]
    public void Entries_are_forgotten_on_unavailable_or_after_their_ttl()
    {
        var state = new StatsState(T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Connected, ConnectionId = "a", Ttl = 120 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Connected, ConnectionId = "b", Ttl = 10 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Subscribed, Mode = "ws", Channel = "c", Ttl = 60 }, T0);
        state.Apply(new StatsPacket { Type = StatsPacketType.Disconnected, ConnectionId = "a" }, T0);
        state.Tick(T0.AddSeconds(9));
        Assert.That(state.Connections.Keys, Is.EqualTo(new[] { "b" }));
        state.Tick(T0.AddSeconds(10));
        Assert.That(state.Connections, Is.Empty, "ttl ran out without a refresh");
        state.Apply(new StatsPacket { Type = StatsPacketType.Subscribed, Mode = "ws", Channel = "c", Ttl = 60 }, T0.AddSeconds(50));
        state.Tick(T0.AddSeconds(100));
        Assert.That(state.Subscriptions, Has.Count.EqualTo(1), "the refresh moved its expiry");
        state.Apply(new StatsPacket { Type = StatsPacketType.Unsubscribed, Mode = "ws", Channel = "c" }, T0.AddSeconds(101));
        Assert.That(state.Subscriptions, Is.Empty);
    }

    [Test]
    public void Rates_cover_the_last_five_seconds()
    {
        var state = new StatsState(T0);
        for (var s = 1; s <= 20; s++)
        {
            state.Apply(new StatsPacket { Type = StatsPacketType.Message, Channel = "c", Transport = "ws-message", Count = s <= 10 ? 1 : 3 }, T0.AddSeconds(s));
            state.Tick(T0.AddSeconds(s));
        }
        Assert.That(state.CurrentRates.MessagesOut, Is.EqualTo(3.0));
    }

    [Test]
    public void Empty_state_renders_placeholders_and_long_tables_are_cut()
    {
        var state = new StatsState(T0);
        var text = StatsTable.Render(state, T0, "tcp://x:1");
        Assert.That(text, Does.Contain("from: none yet"));
        Assert.That(text, Does.Contain("last report: none yet"));
        Assert.That(text, Does.Contain("(no subscriptions or messages yet)"));
        for (var i = 0; i < 40; i++)
        {
            state.Apply(new StatsPacket { Type = StatsPacketType.Subscribed, Mode = "ws", Channel = $"ch{i:00}", Ttl = 60 }, T0);
        }
        state.Invalid();
        text = StatsTable.Render(state, T0, "tcp://x:1", maxChannels: 30);
        Assert.That(text, Does.Contain("… 10 more"));
        Assert.That(text, Does.Contain("invalid frames: 1"));
    }

    [TestCase(new string[0], "tcp://127.0.0.1:5564", false)]
    [TestCase(new[] { "--spec", "tcp://10.0.0.1:9", "--raw" }, "tcp://10.0.0.1:9", true)]
    [TestCase(new[] { "--spec=tcp://h:1" }, "tcp://h:1", false)]
    public void Command_line_reads_spec_and_raw(string[] args, string spec, bool raw)
    {
        var cl = StatsCommandLine.Parse(args, out var error);
        Assert.That(error, Is.Null);
        Assert.That((cl!.Spec, cl.Raw), Is.EqualTo((spec, raw)));
    }

    [TestCase(new[] { "--spec" }, "--spec needs a value")]
    [TestCase(new[] { "--interval", "0" }, "--interval needs")]
    [TestCase(new[] { "extra" }, "unknown argument 'extra'")]
    public void Command_line_rejects_bad_arguments(string[] args, string reason)
    {
        Assert.That(StatsCommandLine.Parse(args, out var error), Is.Null);
        Assert.That(error, Does.Contain(reason));
    }

    [Test]
    public void Raw_line_keeps_every_field_and_renames_the_connection_type()
    {
        var line = RawLine.Format("conn", new Dictionary<string, object?>
        {
            ["id"] = "c1"u8.ToArray(), ["type"] = "ws"u8.ToArray(), ["ttl"] = 120L, ["ssl"] = true, ["from"] = "h",
        });
        Assert.That(line, Is.EqualTo("{\"type\":\"conn\",\"from\":\"h\",\"id\":\"c1\",\"ssl\":true,\"ttl\":120,\"conn-type\":\"ws\"}"));
    }
}
