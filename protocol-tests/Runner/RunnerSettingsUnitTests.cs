using NUnit.Framework;
using Pushpin.Common.Config;
using Pushpin.ProtocolTests.Support;
using Pushpin.Runner.Settings;

namespace Pushpin.ProtocolTests.Runner;

[TestFixture]
[CancelAfter(10_000)]
public sealed class RunnerSettingsUnitTests
{
    private string _dir = string.Empty;

    private static string ShippedConfig => Path.Combine(Artifacts.RepoRoot, "etc", "pushpin.toml");

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "pushpin-runner-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static IReadOnlyList<string> ArgsOf(RunnerSettings settings, string service) =>
        settings.Services.Single(s => s.Name == service).Arguments;

    [Test]
    public void Default_config_starts_connmgr_proxy_handler_in_order_from_the_bin_directory()
    {
        var settings = RunnerSettings.Build(new RunnerArguments(), ShippedConfig, Artifacts.BinDir);
        Assert.That(settings.Services.Select(s => s.Name), Is.EqualTo(new[] { "connmgr", "proxy", "handler" }));
        Assert.That(settings.Services.Select(s => s.FileName), Is.EqualTo(new[]
        {
            Path.Combine(Artifacts.BinDir, "pushpin-connmgr"),
            Path.Combine(Artifacts.BinDir, "pushpin-proxy"),
            Path.Combine(Artifacts.BinDir, "pushpin-handler"),
        }));
    }

    [Test]
    public void Connmgr_gets_upstreams_arguments_adapted_to_tcp()
    {
        var settings = RunnerSettings.Build(new RunnerArguments(), ShippedConfig, Artifacts.BinDir);
        Assert.That(ArgsOf(settings, "connmgr"), Is.EqualTo(new[]
        {
            "--log-level=2",
            "--buffer-size=8192",
            "--stream-maxconn=50000",
            "--zserver-stream=tcp://127.0.0.1:14505",
            "--deny-out-internal",
            "--listen=0.0.0.0:7999,stream",
            "--zclient-stream=tcp://127.0.0.1:14500",
        }));
    }

    [Test]
    public void Proxy_and_handler_get_config_prefix_and_level()
    {
        var settings = RunnerSettings.Build(new RunnerArguments { Routes = ["* test", "example.com localhost:8080"] }, ShippedConfig, Artifacts.BinDir);
        Assert.That(ArgsOf(settings, "proxy"), Is.EqualTo(new[]
        {
            $"--config={ShippedConfig}", "--ipc-prefix=pushpin-", "--loglevel=2", "--route=* test", "--route=example.com localhost:8080",
        }));
        Assert.That(ArgsOf(settings, "handler"), Is.EqualTo(new[]
        {
            $"--config={ShippedConfig}", "--ipc-prefix=pushpin-", "--loglevel=2",
        }));
    }

    [Test]
    public void Id_shifts_internal_ports_by_ten_and_sets_the_ipc_prefix()
    {
        var config = Write("p.toml", "[global]\nport_offset = 1\n[runner]\nhttp_port = \"127.0.0.1:8000\"\n");
        var settings = RunnerSettings.Build(new RunnerArguments { Id = 2 }, config, Artifacts.BinDir);
        Assert.That(ArgsOf(settings, "connmgr"), Does.Contain("--zclient-stream=tcp://127.0.0.1:14521"));
        Assert.That(ArgsOf(settings, "connmgr"), Does.Contain("--zserver-stream=tcp://127.0.0.1:14526"));
        // Client listen ports are not shifted (as upstream).
        Assert.That(ArgsOf(settings, "connmgr"), Does.Contain("--listen=127.0.0.1:8000,stream"));
        Assert.That(ArgsOf(settings, "proxy"), Does.Contain("--port-offset=21").And.Contain("--ipc-prefix=2-"));
        Assert.That(ArgsOf(settings, "handler"), Does.Contain("--port-offset=21").And.Contain("--ipc-prefix=2-"));
    }

    [Test]
    public void Port_flag_replaces_the_configured_listeners()
    {
        var config = Write("p.toml", "[runner]\nhttp_port = \"7999,8000\"\nhttps_ports = \"8443\"\n");
        var settings = RunnerSettings.Build(new RunnerArguments { Port = "127.0.0.1:9000" }, config, Artifacts.BinDir);
        Assert.That(ArgsOf(settings, "connmgr").Where(a => a.StartsWith("--listen", StringComparison.Ordinal)), Is.EqualTo(new[] { "--listen=127.0.0.1:9000,stream" }));
    }

    [Test]
    public void Https_and_local_ports_become_tls_and_local_listeners()
    {
        var config = Write("p.conf", "[runner]\nhttp_port=7999\nhttps_ports=8443\nlocal_ports=/tmp/pp.sock?mode=660&user=www\nallow_compression=true\n");
        var args = ArgsOf(RunnerSettings.Build(new RunnerArguments(), config, Artifacts.BinDir), "connmgr");
        Assert.That(args, Does.Contain("--compression"));
        Assert.That(args, Does.Contain("--listen=0.0.0.0:8443,stream,tls,default-cert=default_8443"));
        Assert.That(args, Does.Contain("--listen=/tmp/pp.sock,local,stream,mode=660,user=www"));
        Assert.That(args, Does.Contain($"--tls-identities-dir={Path.Combine(_dir, "runner", "certs")}"));
    }

    [Test]
    public void Log_levels_come_from_config_then_command_line()
    {
        var config = Write("p.conf", "[runner]\nlog_level=1,proxy:3\n");
        var fromConfig = RunnerSettings.Build(new RunnerArguments(), config, Artifacts.BinDir);
        Assert.That(ArgsOf(fromConfig, "connmgr"), Does.Contain("--log-level=1"));
        Assert.That(ArgsOf(fromConfig, "proxy"), Does.Contain("--loglevel=3"));
        Assert.That(ArgsOf(fromConfig, "handler"), Does.Contain("--loglevel=1"));

        var cli = RunnerSettings.Build(new RunnerArguments { LogLevel = "handler:4" }, config, Artifacts.BinDir);
        Assert.That(ArgsOf(cli, "connmgr"), Does.Contain("--log-level=1"));
        Assert.That(ArgsOf(cli, "proxy"), Does.Contain("--loglevel=3"));
        Assert.That(ArgsOf(cli, "handler"), Does.Contain("--loglevel=4"));

        var verbose = RunnerSettings.Build(new RunnerArguments { Verbose = true }, config, Artifacts.BinDir);
        Assert.That(verbose.Services.Select(s => s.Arguments.Single(a => a.Contains("level", StringComparison.Ordinal))), Has.All.EndsWith("=3"));
    }

    [Test]
    public void Legacy_service_names_are_accepted()
    {
        var config = Write("p.conf", "[runner]\nservices=condure,zurl,pushpin-proxy,pushpin-handler\n");
        var settings = RunnerSettings.Build(new RunnerArguments(), config, Artifacts.BinDir);
        Assert.That(settings.Services.Select(s => s.Name), Is.EqualTo(new[] { "connmgr", "proxy", "handler" }));
    }

    [Test]
    public void Services_subset_starts_only_those()
    {
        var config = Write("p.conf", "[runner]\nservices=handler,proxy\n");
        var settings = RunnerSettings.Build(new RunnerArguments(), config, Artifacts.BinDir);
        Assert.That(settings.Services.Select(s => s.Name), Is.EqualTo(new[] { "proxy", "handler" }));
    }

    [Test]
    public void Connmgr_specs_that_break_the_n_n1_n2_layout_are_refused()
    {
        var config = Write("p.conf", "[proxy]\nconnmgr_in_specs=tcp://127.0.0.1:20000\n");
        var e = Assert.Throws<ConfigException>(() => RunnerSettings.Build(new RunnerArguments(), config, Artifacts.BinDir))!;
        Assert.That(e.Message, Is.EqualTo($"{config}:2: [proxy] connmgr_in_specs: 'tcp://127.0.0.1:20000' also needs [proxy] connmgr_in_stream_specs = tcp://127.0.0.1:20001 (connmgr uses ports N, N+1, N+2)"));

        config = Write("q.conf", "[proxy]\nconnmgr_in_specs=tcp://127.0.0.1:20000\nconnmgr_in_stream_specs=tcp://127.0.0.1:20001\nconnmgr_out_specs=tcp://127.0.0.1:20005\n");
        e = Assert.Throws<ConfigException>(() => RunnerSettings.Build(new RunnerArguments(), config, Artifacts.BinDir))!;
        Assert.That(e.Message, Does.StartWith($"{config}:4: [proxy] connmgr_out_specs: must be tcp://127.0.0.1:20002"));
    }

    [Test]
    public void Bad_config_value_is_reported_before_anything_starts()
    {
        var config = Write("p.toml", "[runner]\n\nclient_maxconn = \"many\"\n");
        var e = Assert.Throws<ConfigException>(() => RunnerSettings.Build(new RunnerArguments(), config, Artifacts.BinDir))!;
        Assert.That(e.Message, Is.EqualTo($"{config}:3: [runner] client_maxconn: 'many' is not a valid integer"));
    }

    [Test]
    public void Missing_daemon_executable_is_reported()
    {
        var e = Assert.Throws<RunnerSettingsException>(() => RunnerSettings.Build(new RunnerArguments(), ShippedConfig, _dir))!;
        Assert.That(e.Message, Does.StartWith("cannot find pushpin-connmgr"));
    }

    [Test]
    public void No_listeners_is_an_error()
    {
        var config = Write("p.conf", "[runner]\nhttp_port=\n");
        var e = Assert.Throws<RunnerSettingsException>(() => RunnerSettings.Build(new RunnerArguments(), config, Artifacts.BinDir))!;
        Assert.That(e.Message, Does.Contain("no server ports configured"));
    }
}
