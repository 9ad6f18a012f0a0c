using NUnit.Framework;
using Pushpin.Common.Config;
using Pushpin.Common.Hosting;
using Pushpin.Proxy;

namespace Pushpin.ProtocolTests.Proxy;

/// <summary>The stats keys the proxy reads.</summary>
public sealed class ProxyStatsConfigUnitTests
{
    [Test]
    public void Proxy_stats_spec_defaults_to_the_internal_address()
    {
        var o = ProxyConfigReader.Read(PushpinConfig.Parse("""
            [global]
            port_offset=10
            [proxy]
            stats_report_interval=3
            """, Path.Combine(Path.GetTempPath(), "pushpin-stats-conf-" + Guid.NewGuid().ToString("N"), "pushpin.conf")), DaemonArguments.Parse([]));
        Assert.That(o.StatsSpec, Is.EqualTo("tcp://127.0.0.1:14615"));
        Assert.That(o.Stats.ReportInterval, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(o.Stats.InstanceId, Is.EqualTo(o.InstanceId));
    }
}
