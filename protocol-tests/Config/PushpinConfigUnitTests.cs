using NUnit.Framework;
using Pushpin.Common.Config;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Config;

[TestFixture]
[CancelAfter(10_000)]
public sealed class PushpinConfigUnitTests
{
    private string _dir = string.Empty;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "pushpin-config-" + Guid.NewGuid().ToString("N"));
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

    [Test]
    public void Toml_and_ini_give_the_same_values()
    {
        var toml = PushpinConfig.Load(Write("a.toml", """
            [global]
            port_offset = 0
            [runner]
            services = ["connmgr", "proxy", "handler"]
            http_port = 7999
            allow_compression = true
            [proxy]
            x_forwarded_for = "truncate:0,append"
            sig_key = "changeme"
            [handler]
            push_in_http_port = 5561
            push_in_sub_specs = ["tcp://127.0.0.1:5562", "tcp://127.0.0.1:5572"]
            """));
        var ini = PushpinConfig.Load(Write("a.conf", """
            [global]
            port_offset=0
            [runner]
            services=connmgr,proxy,handler
            http_port=7999
            allow_compression=true
            [proxy]
            x_forwarded_for=truncate:0,append
            sig_key="changeme"
            [handler]
            push_in_http_port=5561
            push_in_sub_specs=tcp://127.0.0.1:5562,tcp://127.0.0.1:5572
            """));
        foreach (var cfg in new[] { toml, ini })
        {
            Assert.That(cfg.GetServices("runner", "services"), Is.EqualTo(new[] { "connmgr", "proxy", "handler" }));
            Assert.That(cfg.GetListenPorts("runner", "http_port"), Is.EqualTo(new[] { new ListenPort("0.0.0.0", 7999) }));
            Assert.That(cfg.GetBool("runner", "allow_compression", false), Is.True);
            Assert.That(cfg.GetList("proxy", "x_forwarded_for"), Is.EqualTo(new[] { "truncate:0", "append" }));
            Assert.That(cfg.GetString("proxy", "sig_key"), Is.EqualTo("changeme"));
            Assert.That(cfg.GetPort("handler", "push_in_http_port", 0), Is.EqualTo(5561));
            Assert.That(cfg.GetSocketSpecs("handler", "push_in_sub_specs"), Is.EqualTo(new[] { "tcp://127.0.0.1:5562", "tcp://127.0.0.1:5572" }));
        }
        Assert.That(toml.Format, Is.EqualTo(ConfigFormat.Toml));
        Assert.That(ini.Format, Is.EqualTo(ConfigFormat.Ini));
    }

    [Test]
    public void Shipped_toml_and_conf_load_to_the_same_values()
    {
        var toml = PushpinConfig.Load(Path.Combine(Artifacts.RepoRoot, "etc", "pushpin.toml"));
        var ini = PushpinConfig.Load(Path.Combine(Artifacts.RepoRoot, "etc", "pushpin.conf"));
        toml.Validate();
        ini.Validate();
        Assert.That(toml.Warnings, Is.Empty, string.Join('\n', toml.Warnings));
        Assert.That(ini.Warnings, Is.Empty, string.Join('\n', ini.Warnings));
        foreach (var section in KnownKeys.Sections)
        {
            foreach (var key in KnownKeys.KeysOf(section).Keys)
            {
                Assert.That(ini.Contains(section, key), Is.EqualTo(toml.Contains(section, key)), $"[{section}] {key} present");
                Assert.That(ini.GetString(section, key), Is.EqualTo(toml.GetString(section, key)), $"[{section}] {key}");
            }
        }
        Assert.That(File.ReadAllText(toml.ResolvePath(toml.GetString("proxy", "routesfile"))).Trim(), Is.EqualTo("* test"));
    }

    [Test]
    public void Shipped_defaults_match_the_topology()
    {
        var cfg = PushpinConfig.Load(Path.Combine(Artifacts.RepoRoot, "etc", "pushpin.toml"));
        Assert.That(cfg.GetSocketSpecs("proxy", "connmgr_in_specs"), Is.EqualTo(new[] { "tcp://127.0.0.1:14500" }));
        Assert.That(cfg.GetSocketSpec("proxy", "connmgr_client_out_specs"), Is.EqualTo("tcp://127.0.0.1:14505"));
        Assert.That(cfg.GetSocketSpec("handler", "proxy_intreq_in_specs"), Is.EqualTo("tcp://127.0.0.1:14609"));
        Assert.That(cfg.GetSocketSpec("handler", "stats_spec"), Is.EqualTo("tcp://127.0.0.1:5564"));
        Assert.That(cfg.GetSocketSpec("handler", "push_in_spec"), Is.EqualTo("tcp://127.0.0.1:5560"));
        Assert.That(cfg.GetInt("runner", "client_maxconn", 0), Is.EqualTo(50000));
        Assert.That(cfg.GetLogLevels("runner", "log_level").Default, Is.EqualTo(2));
    }

    [Test]
    public void Upstream_config_with_internal_conf_include_gets_our_tcp_defaults()
    {
        // Upstream's shipped pushpin.conf (abridged) as-is, including its ipc stats_spec.
        var cfg = PushpinConfig.Load(Write("pushpin.conf", """
            [global]
            include={libdir}/internal.conf
            rundir=run
            ipc_prefix=pushpin-
            port_offset=0

            [runner]
            services=condure,zurl,pushpin-proxy,pushpin-handler
            http_port=7999
            mongrel2_bin=mongrel2

            [proxy]
            routesfile=routes
            x_forwarded_for=
            updates_check=off

            [handler]
            stats_spec=ipc://{rundir}/{ipc_prefix}stats
            command_spec=tcp://127.0.0.1:5563
            """));
        cfg.Validate();
        Assert.That(cfg.GetSocketSpec("proxy", "handler_accept_spec"), Is.EqualTo("tcp://127.0.0.1:14601"));
        Assert.That(cfg.GetSocketSpec("handler", "stats_spec"), Is.EqualTo("tcp://127.0.0.1:5564"));
        Assert.That(cfg.GetServices("runner", "services"), Is.EqualTo(new[] { "connmgr", "proxy", "handler" }));
        Assert.That(cfg.GetList("proxy", "x_forwarded_for"), Is.Empty);
        Assert.That(cfg.Warnings, Has.Some.Contains("[handler] stats_spec: upstream's ipc default replaced by tcp://127.0.0.1:5564"));
    }

    [Test]
    public void Debian_installed_config_loads_if_present()
    {
        const string path = "/etc/pushpin/pushpin.conf";
        if (!File.Exists(path))
        {
            Assert.Ignore("Debian pushpin is not installed");
        }
        var cfg = PushpinConfig.Load(path);
        cfg.Validate();
        Assert.That(cfg.GetSocketSpec("proxy", "connmgr_in_specs"), Is.EqualTo("tcp://127.0.0.1:14500"));
    }

    [Test]
    public void Values_in_the_file_win_over_built_in_defaults()
    {
        var cfg = PushpinConfig.Load(Write("p.toml", """
            [proxy]
            connmgr_in_specs = "tcp://127.0.0.1:24500"
            """));
        Assert.That(cfg.GetSocketSpec("proxy", "connmgr_in_specs"), Is.EqualTo("tcp://127.0.0.1:24500"));
        Assert.That(cfg.GetSocketSpec("proxy", "connmgr_out_specs"), Is.EqualTo("tcp://127.0.0.1:14502"));
    }

    [Test]
    public void Include_of_another_file_sits_between_defaults_and_main_file()
    {
        Write("extra.conf", "[proxy]\nsig_key=fromextra\nsig_iss=extra\n");
        var cfg = PushpinConfig.Load(Write("main.conf", "[global]\ninclude=extra.conf\n[proxy]\nsig_iss=main\n"));
        Assert.That(cfg.GetString("proxy", "sig_key"), Is.EqualTo("fromextra"));
        Assert.That(cfg.GetString("proxy", "sig_iss"), Is.EqualTo("main"));
    }

    [Test]
    public void Variables_are_expanded()
    {
        var cfg = PushpinConfig.Load(Write("v.conf", """
            [global]
            rundir=/var/run/pp
            ipc_prefix=x-
            libdir=/usr/lib/pp
            [runner]
            local_ports={rundir}/{ipc_prefix}server
            [proxy]
            sockjs_url={libdir}/sockjs.js
            """));
        Assert.That(cfg.GetString("runner", "local_ports"), Is.EqualTo("/var/run/pp/x-server"));
        Assert.That(cfg.GetString("proxy", "sockjs_url"), Is.EqualTo("/usr/lib/pp/sockjs.js"));
    }

    [Test]
    public void Ipc_prefix_override_replaces_the_file_value()
    {
        var cfg = PushpinConfig.Load(Write("v.conf", "[global]\nipc_prefix=x-\n[runner]\nlocal_ports={ipc_prefix}s\n"), new PushpinConfigOptions { IpcPrefix = "3-" });
        Assert.That(cfg.GetString("runner", "local_ports"), Is.EqualTo("3-s"));
    }

    [Test]
    public void Port_offset_shifts_tcp_specs_and_the_http_control_port()
    {
        var cfg = PushpinConfig.Load(Write("o.conf", """
            [global]
            port_offset=7
            [runner]
            http_port=7999
            [handler]
            push_in_spec=tcp://127.0.0.1:5560
            push_in_sub_specs=tcp://127.0.0.1:5562,tcp://[::1]:5572
            push_in_http_port=5561
            """));
        Assert.That(cfg.PortOffset, Is.EqualTo(7));
        Assert.That(cfg.GetSocketSpec("handler", "push_in_spec"), Is.EqualTo("tcp://127.0.0.1:5567"));
        Assert.That(cfg.GetSocketSpecs("handler", "push_in_sub_specs"), Is.EqualTo(new[] { "tcp://127.0.0.1:5569", "tcp://[::1]:5579" }));
        Assert.That(cfg.GetPort("handler", "push_in_http_port", 0), Is.EqualTo(5568));
        Assert.That(cfg.GetSocketSpec("proxy", "connmgr_in_specs"), Is.EqualTo("tcp://127.0.0.1:14507"));
        // Client listen ports are not shifted (as upstream).
        Assert.That(cfg.GetListenPorts("runner", "http_port")[0].Port, Is.EqualTo(7999));
    }

    [Test]
    public void Port_offset_override_replaces_the_file_value()
    {
        var cfg = PushpinConfig.Load(Write("o.conf", "[global]\nport_offset=7\n"), new PushpinConfigOptions { PortOffset = 20 });
        Assert.That(cfg.GetSocketSpec("proxy", "connmgr_in_specs"), Is.EqualTo("tcp://127.0.0.1:14520"));
    }

    [Test]
    public void Relative_paths_resolve_against_the_config_directory()
    {
        var cfg = PushpinConfig.Load(Write("r.conf", "[proxy]\nroutesfile=routes\n"));
        Assert.That(cfg.ConfigDirectory, Is.EqualTo(_dir));
        Assert.That(cfg.ResolvePath(cfg.GetString("proxy", "routesfile")), Is.EqualTo(Path.Combine(_dir, "routes")));
        Assert.That(cfg.ResolvePath("/abs/keys"), Is.EqualTo("/abs/keys"));
    }

    [Test]
    public void Bad_port_names_file_line_key_and_reason()
    {
        var path = Write("bad.toml", "[global]\nport_offset = 0\n\n[runner]\nhttp_port = \"abc\"\n");
        var cfg = PushpinConfig.Load(path);
        var e = Assert.Throws<ConfigException>(cfg.Validate)!;
        Assert.That(e.Message, Is.EqualTo($"{path}:5: [runner] http_port: 'abc' is not a valid port"));
    }

    [Test]
    public void Bad_integer_names_file_line_key_and_reason()
    {
        var path = Write("bad.conf", "[runner]\nclient_maxconn=lots\n");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path).GetInt("runner", "client_maxconn", 0))!;
        Assert.That(e.Message, Is.EqualTo($"{path}:2: [runner] client_maxconn: 'lots' is not a valid integer"));
    }

    [Test]
    public void Bad_boolean_names_file_line_key_and_reason()
    {
        var path = Write("bad.conf", "[proxy]\n\ndebug=maybe\n");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path).Validate())!;
        Assert.That(e.Message, Is.EqualTo($"{path}:3: [proxy] debug: 'maybe' is not a boolean (true or false)"));
    }

    [Test]
    public void Bad_http_control_port_is_refused()
    {
        var path = Write("bad.conf", "[handler]\npush_in_http_port=70000\n");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path).Validate())!;
        Assert.That(e.Message, Is.EqualTo($"{path}:2: [handler] push_in_http_port: '70000' is not a valid port"));
    }

    [Test]
    public void Ipc_spec_for_an_opened_socket_is_refused_with_a_tcp_suggestion()
    {
        var path = Write("ipc.conf", "[proxy]\nconnmgr_in_specs=ipc://run/my-own-name\n");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path).GetSocketSpecs("proxy", "connmgr_in_specs"))!;
        Assert.That(e.Message, Does.StartWith($"{path}:2: [proxy] connmgr_in_specs: 'ipc://run/my-own-name': ipc:// sockets are not supported"));
        Assert.That(e.Message, Does.Contain("tcp://127.0.0.1:PORT"));
    }

    [Test]
    public void Ipc_spec_for_an_unused_socket_is_accepted()
    {
        var cfg = PushpinConfig.Load(Write("z.conf", "[proxy]\nzurl_out_specs=ipc:///var/run/zurl/zurl-in\n"));
        Assert.DoesNotThrow(cfg.Validate);
    }

    [Test]
    public void Malformed_spec_is_refused()
    {
        var path = Write("s.conf", "[handler]\npush_in_spec=tcp://127.0.0.1\n");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path).Validate())!;
        Assert.That(e.Message, Is.EqualTo($"{path}:2: [handler] push_in_spec: 'tcp://127.0.0.1' is not a valid socket spec (expected tcp://HOST:PORT)"));
    }

    [Test]
    public void Bad_log_level_and_services_are_refused()
    {
        var path = Write("l.conf", "[runner]\nlog_level=2,proxy:9\n");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path).Validate())!;
        Assert.That(e.Message, Does.StartWith($"{path}:2: [runner] log_level: '9' is not a log level"));

        path = Write("s.conf", "[runner]\nservices=connmgr,mongrel2\n");
        e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path).Validate())!;
        Assert.That(e.Message, Is.EqualTo($"{path}:2: [runner] services: 'mongrel2' is not supported; use connmgr"));
    }

    [Test]
    public void Toml_syntax_error_names_file_and_line()
    {
        var path = Write("x.toml", "[runner]\nhttp_port = \n");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path))!;
        Assert.That(e.Message, Does.StartWith($"{path}:2: "));
    }

    [Test]
    public void Ini_syntax_error_names_file_and_line()
    {
        var path = Write("x.conf", "[runner]\nthis is not a key\n");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path))!;
        Assert.That(e.Message, Is.EqualTo($"{path}:2: expected 'key=value', found 'this is not a key'"));
    }

    [Test]
    public void Missing_file_is_a_config_error()
    {
        var path = Path.Combine(_dir, "nope.toml");
        var e = Assert.Throws<ConfigException>(() => PushpinConfig.Load(path))!;
        Assert.That(e.Message, Does.StartWith($"{path}: cannot read config file"));
    }

    [Test]
    public void Unknown_keys_and_sections_are_warnings()
    {
        var path = Write("u.toml", "[proxy]\nsig_kye = \"x\"\n[extra]\na = 1\n");
        var cfg = PushpinConfig.Load(path);
        Assert.That(cfg.Warnings, Does.Contain($"{path}:2: [proxy] sig_kye: unknown key, ignored"));
        Assert.That(cfg.Warnings, Does.Contain($"{path}:3: [extra]: unknown section, ignored"));
    }

    [Test]
    public void Unknown_extension_is_sniffed()
    {
        var ini = PushpinConfig.Load(Write("cfg", "[global]\ninclude={libdir}/internal.conf\n[proxy]\nx_forwarded_for=\n"));
        Assert.That(ini.Format, Is.EqualTo(ConfigFormat.Ini));
        var toml = PushpinConfig.Load(Write("cfg2", "[proxy]\nsig_key = \"k\"\n"));
        Assert.That(toml.Format, Is.EqualTo(ConfigFormat.Toml));
        Assert.That(toml.GetString("proxy", "sig_key"), Is.EqualTo("k"));
    }

    [Test]
    public void Condure_spelling_of_connmgr_keys_is_merged()
    {
        var cfg = PushpinConfig.Load(Write("c.conf", "[proxy]\ncondure_in_specs=tcp://127.0.0.1:30000\n"));
        Assert.That(cfg.GetSocketSpecs("proxy", "connmgr_in_specs"), Is.EqualTo(new[] { "tcp://127.0.0.1:14500", "tcp://127.0.0.1:30000" }));
    }

    [Test]
    public void Absent_keys_give_the_caller_default()
    {
        var cfg = PushpinConfig.Defaults();
        Assert.That(cfg.GetInt("handler", "message_rate", 123), Is.EqualTo(123));
        Assert.That(cfg.GetBool("proxy", "debug", true), Is.True);
        Assert.That(cfg.GetString("proxy", "sig_iss", "pushpin"), Is.EqualTo("pushpin"));
        Assert.That(cfg.GetList("proxy", "orig_headers_need_mark"), Is.Empty);
        Assert.That(cfg.GetServices("runner", "services"), Is.EqualTo(ServiceNames.All));
    }

    [TestCase("7999", "0.0.0.0", 7999)]
    [TestCase("127.0.0.1:8000", "127.0.0.1", 8000)]
    [TestCase("[::1]:8001", "::1", 8001)]
    public void Listen_ports_parse(string text, string address, int port)
    {
        Assert.That(ListenPort.TryParse(text, out var p, out _), Is.True);
        Assert.That(p, Is.EqualTo(new ListenPort(address, port)));
    }

    [TestCase("2", 2, 2, 2)]
    [TestCase("2,proxy:3", 2, 3, 2)]
    [TestCase("proxy:3,handler:4", 2, 3, 4)]
    [TestCase("1,pushpin-handler:0", 1, 1, 0)]
    public void Log_level_specs_parse(string text, int connmgr, int proxy, int handler)
    {
        Assert.That(LogLevelSpec.TryParse(text, out var spec, out var error), Is.True, error);
        Assert.That(spec!.For("connmgr"), Is.EqualTo(connmgr));
        Assert.That(spec.For("proxy"), Is.EqualTo(proxy));
        Assert.That(spec.For("handler"), Is.EqualTo(handler));
    }
}
