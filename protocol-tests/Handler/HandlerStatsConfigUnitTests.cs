using NUnit.Framework;
using Pushpin.Common.Config;
using Pushpin.Common.Stats;
using Pushpin.Handler;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>The stats keys the handler reads.</summary>
public sealed class HandlerStatsConfigUnitTests
{
    private static PushpinConfig Parse(string conf) =>
        PushpinConfig.Parse(conf, Path.Combine(Path.GetTempPath(), "pushpin-stats-conf-" + Guid.NewGuid().ToString("N"), "pushpin.conf"));

    [Test]
    public void Handler_stats_keys_are_read_with_port_offset_and_upstream_defaults()
    {
        var o = HandlerOptions.FromConfig(Parse("""
            [global]
            port_offset=10
            stats_connection_ttl=30
            [handler]
            stats_format=json
            stats_subscription_ttl=20
            subscription_linger=5
            stats_report_interval=2
            """));
        Assert.Multiple(() =>
        {
            Assert.That(o.StatsSpec, Is.EqualTo("tcp://127.0.0.1:5574"));
            Assert.That(o.StatsFormat, Is.EqualTo(StatsFormat.Json));
            Assert.That(o.ProxyStatsSpecs, Is.EqualTo(new[] { "tcp://127.0.0.1:14615" }));
            Assert.That(o.Stats.ConnectionTtl, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(o.Stats.SubscriptionTtl, Is.EqualTo(TimeSpan.FromSeconds(20)));
            Assert.That(o.Stats.SubscriptionLinger, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(o.Stats.ReportInterval, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(o.Stats.ConnectionSend, Is.True);
        });
    }

    [Test]
    public void Unknown_stats_format_fails_naming_the_key()
    {
        var ex = Assert.Throws<ConfigException>(() => HandlerOptions.FromConfig(Parse("""
            [handler]
            stats_format=xml
            """)));
        Assert.That(ex!.Message, Does.Contain("stats_format"));
    }
}
