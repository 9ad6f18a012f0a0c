using NUnit.Framework;
using Pushpin.Common.Hosting;

namespace Pushpin.ProtocolTests.Hosting;

[TestFixture]
[CancelAfter(5_000)]
public sealed class DaemonArgumentsUnitTests
{
    [Test]
    public void Common_flags_parse_in_both_forms()
    {
        var a = DaemonArguments.Parse(["--config", "etc/pushpin.toml", "--logfile=x.log", "--loglevel=3", "--ipc-prefix", "2-", "--port-offset=20", "--route", "* test", "--route=a.com b:80"]);
        Assert.That(a.ConfigPath, Is.EqualTo("etc/pushpin.toml"));
        Assert.That(a.LogFile, Is.EqualTo("x.log"));
        Assert.That(a.LogLevel, Is.EqualTo(3));
        Assert.That(a.IpcPrefix, Is.EqualTo("2-"));
        Assert.That(a.PortOffset, Is.EqualTo(20));
        Assert.That(a.Routes, Is.EqualTo(new[] { "* test", "a.com b:80" }));
        Assert.That(a.Help, Is.False);
    }

    [Test]
    public void Log_level_defaults_to_info_and_verbose_means_debug()
    {
        Assert.That(DaemonArguments.Parse([]).EffectiveLogLevel, Is.EqualTo(2));
        Assert.That(DaemonArguments.Parse(["--verbose"]).EffectiveLogLevel, Is.EqualTo(3));
        Assert.That(DaemonArguments.Parse(["--verbose", "--loglevel", "4"]).EffectiveLogLevel, Is.EqualTo(4));
        Assert.That(DaemonArguments.Parse(["--log-level=0"]).EffectiveLogLevel, Is.EqualTo(0));
    }

    [Test]
    public void Help_is_recognized()
    {
        Assert.That(DaemonArguments.Parse(["--help"]).Help, Is.True);
        Assert.That(DaemonArguments.Parse(["-h"]).Help, Is.True);
    }

    [Test]
    public void Json_log_format_is_recognized()
    {
        Assert.That(DaemonArguments.Parse(["--log-format", "json"]).JsonLogs, Is.True);
        Assert.That(DaemonArguments.Parse(["--log-format=text"]).JsonLogs, Is.False);
    }

    [Test]
    public void Daemon_specific_flags_are_kept_in_order()
    {
        var a = DaemonArguments.Parse(["--listen=0.0.0.0:7999,stream", "--listen", "[::]:8000,stream", "--compression", "--zclient-stream=tcp://127.0.0.1:14500"], ["listen"]);
        Assert.That(a.Options["listen"], Is.EqualTo(new[] { "0.0.0.0:7999,stream", "[::]:8000,stream" }));
        Assert.That(a.HasOption("compression"), Is.True);
        Assert.That(a.GetOption("zclient-stream"), Is.EqualTo("tcp://127.0.0.1:14500"));
        Assert.That(a.GetOption("missing"), Is.Null);
    }

    [TestCase("--loglevel=9")]
    [TestCase("--loglevel=x")]
    [TestCase("--port-offset=-1")]
    [TestCase("--log-format=xml")]
    [TestCase("--config")]
    public void Bad_values_are_usage_errors(string arg)
    {
        Assert.Throws<DaemonUsageException>(() => DaemonArguments.Parse([arg]));
    }
}
