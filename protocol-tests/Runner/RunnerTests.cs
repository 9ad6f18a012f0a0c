using System.Net.Http;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Runner;

/// <summary>
/// The real pushpin-runner process supervising stand-in daemons (small shell scripts put in a
/// directory named by PUSHPIN_RUNNER_BIN_DIR), so restart, signal and output handling are
/// tested end to end whatever state the real daemons are in.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class RunnerTests
{
    private const string Stamp = "2026-11-23 15:00:00.000";

    private string _dir = string.Empty;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "pushpin-runner-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_dir, "bin"));
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static string ShippedConfig => Path.Combine(Artifacts.RepoRoot, "etc", "pushpin.toml");

    [GeneratedRegex(@"\[(\w+)\] up pid=(\d+)")]
    private static partial Regex UpLine();

    /// <summary>A daemon that logs a start line and stays up, announcing the signals it gets.</summary>
    private const string StayUp = """
        #!/bin/sh
        name=$(basename "$0")
        trap 'echo "[INFO] STAMP got SIGHUP"' HUP
        trap 'echo "[INFO] STAMP got SIGTERM"; exit 0' TERM
        echo "[INFO] STAMP up pid=$$ args: $*"
        echo "plain line from $name"
        while :; do sleep 0.1 </dev/null >/dev/null 2>&1; done
        """;

    /// <summary>A daemon that ignores SIGTERM, so only SIGKILL stops it.</summary>
    private const string Stubborn = """
        #!/bin/sh
        trap '' TERM
        echo "[INFO] STAMP up pid=$$"
        while :; do sleep 0.1 </dev/null >/dev/null 2>&1; done
        """;

    /// <summary>A daemon that dies at once (as the placeholders do).</summary>
    private const string Dies = """
        #!/bin/sh
        echo "bad things" >&2
        exit 3
        """;

    private void Daemons(string connmgr, string proxy, string handler)
    {
        foreach (var (name, script) in new[] { ("connmgr", connmgr), ("proxy", proxy), ("handler", handler) })
        {
            var path = Path.Combine(_dir, "bin", "pushpin-" + name);
            File.WriteAllText(path, script.Replace("STAMP", Stamp, StringComparison.Ordinal).ReplaceLineEndings("\n") + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    private ChildProcess StartRunner(params string[] args) =>
        ChildProcess.Start(Artifacts.Executable("pushpin-runner"), args, _dir, new Dictionary<string, string>
        {
            ["PUSHPIN_RUNNER_BIN_DIR"] = Path.Combine(_dir, "bin"),
        });

    // A clean stop lets the runner reap its children; killing the tree would leave zombies
    // behind in containers whose pid 1 does not reap.
    private static async Task StopRunnerAsync(ChildProcess runner)
    {
        runner.Signal(15);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.Zero, runner.Output);
    }

    private static int PidOf(ChildProcess runner, string service) =>
        runner.Lines.Select(l => UpLine().Match(l)).Where(m => m.Success && m.Groups[1].Value == service).Select(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).Last();

    private static async Task AllUpAsync(ChildProcess runner)
    {
        foreach (var service in new[] { "connmgr", "proxy", "handler" })
        {
            await runner.WaitForLineAsync($"[{service}] up pid=");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Child_output_is_merged_with_service_tags()
    {
        Daemons(StayUp, StayUp, StayUp);
        await using var runner = StartRunner("--config", ShippedConfig);
        await AllUpAsync(runner);
        await runner.WaitForLineAsync("[proxy] plain line from pushpin-proxy");
        Assert.That(runner.Lines, Has.Some.StartsWith($"[INFO] {Stamp} [connmgr] up pid="));
        Assert.That(runner.Lines, Has.Some.Match(@"^\[INFO\] \S+ \S+ \[handler\] plain line from pushpin-handler$"));
        Assert.That(runner.Lines, Has.Some.Match(@"^\[INFO\] \S+ \S+ using config: " + Regex.Escape(ShippedConfig) + "$"));
        // Children got the upstream-style arguments.
        Assert.That(runner.Lines, Has.Some.Contains("[connmgr] up pid=").And.Contains("--zclient-stream=tcp://127.0.0.1:14500"));
        Assert.That(runner.Lines, Has.Some.Contains("[proxy] up pid=").And.Contains($"--config={ShippedConfig}"));
        await StopRunnerAsync(runner);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Sigterm_stops_every_child_and_exits_zero()
    {
        Daemons(StayUp, StayUp, StayUp);
        await using var runner = StartRunner("--config", ShippedConfig);
        await AllUpAsync(runner);
        runner.Signal(15);
        var code = await runner.WaitForExitAsync(TimeSpan.FromSeconds(15));
        Assert.That(code, Is.Zero, runner.Output);
        foreach (var service in new[] { "connmgr", "proxy", "handler" })
        {
            Assert.That(runner.Lines, Has.Some.Contains($"[{service}] got SIGTERM"), runner.Output);
        }
        Assert.That(runner.Lines.Last(), Does.EndWith(" stopped"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Sigint_stops_every_child_and_exits_zero()
    {
        Daemons(StayUp, StayUp, StayUp);
        await using var runner = StartRunner("--config", ShippedConfig);
        await AllUpAsync(runner);
        runner.Signal(2);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.Zero, runner.Output);
        Assert.That(runner.Lines, Has.Some.Contains("[handler] got SIGTERM"), runner.Output);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Sighup_is_forwarded_to_proxy_and_handler_only()
    {
        Daemons(StayUp, StayUp, StayUp);
        await using var runner = StartRunner("--config", ShippedConfig);
        await AllUpAsync(runner);
        runner.Signal(1);
        await runner.WaitForLineAsync("[proxy] got SIGHUP");
        await runner.WaitForLineAsync("[handler] got SIGHUP");
        Assert.That(runner.HasExited, Is.False);
        Assert.That(runner.Lines, Has.None.Contains("[connmgr] got SIGHUP"));
        await StopRunnerAsync(runner);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Killed_child_is_restarted_and_the_reason_logged()
    {
        Daemons(StayUp, StayUp, StayUp);
        await using var runner = StartRunner("--config", ShippedConfig);
        await AllUpAsync(runner);
        var first = PidOf(runner, "handler");
        using (var kill = System.Diagnostics.Process.Start("kill", $"-9 {first}"))
        {
            await kill.WaitForExitAsync();
        }
        await runner.WaitForLineAsync("handler: exited unexpectedly (killed by signal 9)");
        await runner.WaitForLineAsync("restarting handler in 0.5 s");
        await Eventually.TrueAsync(() => runner.Lines.Count(l => l.Contains("[handler] up pid=", StringComparison.Ordinal)) == 2, "handler restarted\n" + runner.Output);
        Assert.That(PidOf(runner, "handler"), Is.Not.EqualTo(first));
        Assert.That(runner.HasExited, Is.False);
        await StopRunnerAsync(runner);
    }

    [Test]
    [CancelAfter(40_000)]
    public async Task Crash_loop_stops_everything_and_exits_one()
    {
        Daemons(StayUp, StayUp, Dies);
        await using var runner = StartRunner("--config", ShippedConfig);
        var code = await runner.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.That(code, Is.EqualTo(1), runner.Output);
        Assert.That(runner.Lines, Has.Some.Match(@"^\[ERR\] \S+ \S+ \[handler\] bad things$"));
        Assert.That(runner.Lines.Count(l => l.Contains("handler: exited unexpectedly (exit code 3)", StringComparison.Ordinal)), Is.EqualTo(5), runner.Output);
        Assert.That(runner.Lines, Has.Some.Contains("restarting handler in 4 s"));
        Assert.That(runner.Lines, Has.Some.Contains("handler: died 5 times within 60 s; giving up"));
        Assert.That(runner.Lines, Has.Some.Contains("[proxy] got SIGTERM"));
        Assert.That(runner.Lines, Has.Some.Contains("[connmgr] got SIGTERM"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Child_ignoring_sigterm_is_killed_after_the_grace_period()
    {
        Daemons(StayUp, Stubborn, StayUp);
        await using var runner = StartRunner("--config", ShippedConfig);
        await AllUpAsync(runner);
        var proxy = PidOf(runner, "proxy");
        runner.Signal(15);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.Zero, runner.Output);
        Assert.That(runner.Lines, Has.Some.Contains("proxy did not stop in time; killing it"));
        Assert.That(ProcessExists(proxy), Is.False);
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Bad_config_exits_one_with_one_line_before_starting_any_child()
    {
        Daemons(StayUp, StayUp, StayUp);
        var config = Path.Combine(_dir, "pushpin.toml");
        await File.WriteAllTextAsync(config, "[runner]\nhttp_port = \"abc\"\n");
        await using var runner = StartRunner("--config", config);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.EqualTo(1));
        Assert.That(runner.Lines, Has.Count.EqualTo(1), runner.Output);
        Assert.That(runner.Lines.Single(), Does.Match(@"^\[ERR\] \S+ \S+ " + Regex.Escape($"{config}:2: [runner] http_port: 'abc' is not a valid port") + "$"));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Ipc_spec_is_refused_before_starting_any_child()
    {
        Daemons(StayUp, StayUp, StayUp);
        var config = Path.Combine(_dir, "pushpin.conf");
        await File.WriteAllTextAsync(config, "[handler]\npush_in_spec=ipc:///tmp/push-in\n");
        await using var runner = StartRunner("--config", config);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.EqualTo(1));
        Assert.That(runner.Output, Does.Contain("[handler] push_in_spec: 'ipc:///tmp/push-in': ipc:// sockets are not supported").And.Contain("tcp://127.0.0.1:PORT"));
        Assert.That(runner.Lines, Has.None.Contains("starting"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Without_config_flag_the_repository_etc_pushpin_toml_is_used()
    {
        Daemons(StayUp, StayUp, StayUp);
        await using var runner = StartRunner();
        await runner.WaitForLineAsync("using config: " + ShippedConfig);
        await AllUpAsync(runner);
        await StopRunnerAsync(runner);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Id_and_port_flags_reach_the_children()
    {
        Daemons(StayUp, StayUp, StayUp);
        await using var runner = StartRunner("--config", ShippedConfig, "--id", "3", "--port", "127.0.0.1:18000", "--route", "* test", "--loglevel", "proxy:4");
        await AllUpAsync(runner);
        Assert.That(runner.Lines, Has.Some.Contains("[connmgr] up pid=").And.Contains("--listen=127.0.0.1:18000,stream").And.Contains("--zclient-stream=tcp://127.0.0.1:14530"));
        Assert.That(runner.Lines, Has.Some.Contains("[proxy] up pid=").And.Contains("--port-offset=30").And.Contains("--loglevel=4").And.Contains("--route=* test"));
        Assert.That(runner.Lines, Has.Some.Contains("[handler] up pid=").And.Contains("--ipc-prefix=3-").And.Contains("--loglevel=2"));
        await StopRunnerAsync(runner);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Logfile_receives_runner_and_child_lines()
    {
        Daemons(StayUp, StayUp, StayUp);
        var log = Path.Combine(_dir, "pushpin.log");
        await using var runner = StartRunner("--config", ShippedConfig, "--logfile", log);
        await Eventually.TrueAsync(() => File.Exists(log) && ReadShared(log).Contains("[handler] up pid=", StringComparison.Ordinal), "handler line in the log file");
        runner.Signal(15);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.Zero, runner.Output);
        var text = ReadShared(log);
        Assert.That(text, Does.Contain("using config: ").And.Contain("[proxy] got SIGTERM").And.Contain(" stopped\n"));
        Assert.That(runner.Lines, Has.None.Contains("[proxy] up pid="));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Sighup_reopens_the_logfile_after_rotation()
    {
        Daemons(StayUp, StayUp, StayUp);
        var log = Path.Combine(_dir, "pushpin.log");
        await using var runner = StartRunner("--config", ShippedConfig, "--logfile", log);
        await Eventually.TrueAsync(() => File.Exists(log) && ReadShared(log).Contains("[handler] up pid=", StringComparison.Ordinal), "handler line in the log file");
        File.Move(log, log + ".1");
        runner.Signal(1);
        await Eventually.TrueAsync(() => File.Exists(log) && ReadShared(log).Contains("[handler] got SIGHUP", StringComparison.Ordinal), "SIGHUP lines in the new log file");
        Assert.That(ReadShared(log + ".1"), Does.Not.Contain("got SIGHUP"));
        await StopRunnerAsync(runner);
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [Test]
    [CancelAfter(15_000)]
    public async Task Help_and_version_exit_zero()
    {
        await using (var help = StartRunner("--help"))
        {
            Assert.That(await help.WaitForExitAsync(TimeSpan.FromSeconds(10)), Is.Zero);
            Assert.That(help.Output, Does.Contain("--config").And.Contain("--merge-output").And.Contain("--id"));
        }
        await using var version = StartRunner("--version");
        Assert.That(await version.WaitForExitAsync(TimeSpan.FromSeconds(10)), Is.Zero);
    }

    /// <summary>With the real daemons: the built-in test route answers on the runner's port.</summary>
    [Test]
    [Category("NeedsDaemons")]
    [CancelAfter(60_000)]
    public async Task Real_daemons_serve_the_test_route()
    {
        var port = FreePorts.One();
        var offset = FreePorts.Block(110) - 14500;
        var config = Path.Combine(_dir, "pushpin.toml");
        await File.WriteAllTextAsync(config, $"[global]\nport_offset = {offset}\n[runner]\nhttp_port = \"127.0.0.1:{port}\"\n[proxy]\nroutesfile = \"routes\"\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "routes"), "* test\n");
        await using var runner = ChildProcess.Start(Artifacts.Executable("pushpin-runner"), ["--config", config], _dir);
        using var http = new HttpClient();
        try
        {
            await Eventually.TrueAsync(async () => (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/"))).IsSuccessStatusCode, "test route answers", TimeSpan.FromSeconds(40));
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"{e.Message}\n{runner.Output}");
        }
        runner.Signal(15);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.Zero, runner.Output);
    }

    /// <summary>With the real daemons: SIGKILL to the runner leaves no daemon behind.</summary>
    [Test]
    [Category("NeedsDaemons")]
    [CancelAfter(60_000)]
    public async Task Daemons_exit_when_the_runner_is_killed()
    {
        var port = FreePorts.One();
        var offset = FreePorts.Block(110) - 14500;
        var config = Path.Combine(_dir, "pushpin.toml");
        await File.WriteAllTextAsync(config, $"[global]\nport_offset = {offset}\n[runner]\nhttp_port = \"127.0.0.1:{port}\"\n[proxy]\nroutesfile = \"routes\"\n");
        await using var runner = ChildProcess.Start(Artifacts.Executable("pushpin-runner"), ["--config", config, "--verbose"], _dir);
        // Once the daemons run (a daemon killed while .NET is still loading it takes its start-up time longer).
        await runner.WaitForLineAsync("[connmgr] started");
        await runner.WaitForLineAsync("[proxy] started");
        await runner.WaitForLineAsync("[handler] started");
        var children = ChildPids(runner.Pid);
        Assert.That(children, Is.Not.Empty);
        runner.Signal(9);
        try
        {
            await Eventually.TrueAsync(() => children.TrueForAll(p => !ProcessExists(p)), "daemons gone within 5 s of the runner being killed", TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"{e.Message}: still there: {string.Join(' ', children.Where(ProcessExists))}\n{runner.Output}");
        }
    }

    private static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    private static List<int> ChildPids(int parent) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(n => n is not null && n.All(char.IsAsciiDigit))
            .Select(n => int.Parse(n!, System.Globalization.CultureInfo.InvariantCulture))
            .Where(pid =>
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == parent.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    return false;
                }
            })];
}
