using NetMQ;
using NetMQ.Sockets;
using NUnit.Framework;
using Pushpin.Common.Config;
using Pushpin.Common.Hosting;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Hosting;

[TestFixture]
[NonParallelizable]
[CancelAfter(20_000)]
public sealed class DaemonHostTests
{
    [Test]
    public async Task Run_delegate_completing_exits_zero_with_config_loaded()
    {
        using var output = new StringWriter();
        PushpinConfig? seen = null;
        var config = Path.Combine(Artifacts.RepoRoot, "etc", "pushpin.toml");
        var code = await DaemonHost.RunAsync("proxy", ["--config", config, "--port-offset=30"], (ctx, _) =>
        {
            seen = ctx.Config;
            return Task.CompletedTask;
        }, new DaemonHostOptions { LogOutput = output });
        Assert.That(code, Is.Zero, output.ToString());
        Assert.That(seen!.GetSocketSpec("proxy", "connmgr_in_specs"), Is.EqualTo("tcp://127.0.0.1:14530"));
    }

    [Test]
    public async Task Bind_failure_exits_one_with_one_line_naming_spec_and_key()
    {
        using var output = new StringWriter();
        var port = FreePorts.One();
        var spec = $"tcp://127.0.0.1:{port}";
        using var holder = new PullSocket();
        holder.Bind(spec);
        var code = await DaemonHost.RunAsync("proxy", [], (_, _) =>
        {
            using var socket = new PullSocket();
            SocketBinding.Bind(socket, spec, "proxy", "connmgr_in_specs");
            return Task.CompletedTask;
        }, new DaemonHostOptions { LogOutput = output, NoConfigSearch = true });
        Assert.That(code, Is.EqualTo(1));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), output.ToString());
        Assert.That(lines[0], Does.StartWith("[ERR] ").And.EndWith($"cannot bind {spec} ([proxy] connmgr_in_specs): address in use"));
    }

    [Test]
    public async Task Bad_config_exits_one_with_the_config_error()
    {
        using var output = new StringWriter();
        var path = Path.Combine(Path.GetTempPath(), $"pushpin-bad-{Guid.NewGuid():N}.toml");
        await File.WriteAllTextAsync(path, "[runner]\nhttp_port = \"abc\"\n");
        try
        {
            var ran = false;
            var code = await DaemonHost.RunAsync("handler", ["--config", path], (_, _) =>
            {
                ran = true;
                return Task.CompletedTask;
            }, new DaemonHostOptions { LogOutput = output });
            Assert.That(code, Is.EqualTo(1));
            Assert.That(ran, Is.False);
            Assert.That(output.ToString().Trim(), Does.EndWith($"{path}:2: [runner] http_port: 'abc' is not a valid port"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Unexpected_exception_exits_one_with_one_line()
    {
        using var output = new StringWriter();
        var code = await DaemonHost.RunAsync("handler", [], (_, _) => throw new InvalidOperationException("boom"), new DaemonHostOptions { LogOutput = output, NoConfigSearch = true });
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output.ToString().Trim(), Does.EndWith("fatal: InvalidOperationException: boom"));
    }

    [Test]
    public async Task Bad_usage_exits_one_without_running()
    {
        var ran = false;
        var code = await DaemonHost.RunAsync("handler", ["--loglevel=x"], (_, _) =>
        {
            ran = true;
            return Task.CompletedTask;
        }, new DaemonHostOptions { NoConfigSearch = true });
        Assert.That(code, Is.EqualTo(1));
        Assert.That(ran, Is.False);
    }

    [Test]
    public async Task Long_running_daemon_stops_when_host_is_stopped_by_its_token()
    {
        using var output = new StringWriter();
        var started = new TaskCompletionSource();
        var run = DaemonHost.RunAsync("proxy", [], async (ctx, ct) =>
        {
            started.SetResult();
            var lifetime = (Microsoft.Extensions.Hosting.IHostApplicationLifetime)ctx.Services.GetService(typeof(Microsoft.Extensions.Hosting.IHostApplicationLifetime))!;
            lifetime.StopApplication();
            await Task.Delay(Timeout.Infinite, ct);
        }, new DaemonHostOptions { LogOutput = output, NoConfigSearch = true });
        await started.Task;
        Assert.That(await run, Is.Zero, output.ToString());
    }

    [OneTimeTearDown]
    public void Cleanup() => NetMQConfig.Cleanup(block: false);
}
