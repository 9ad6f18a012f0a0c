using System.Globalization;
using NUnit.Framework;
using Pushpin.Common.Config;
using Pushpin.ProtocolTests.Support;
using Pushpin.Proxy.Routing;

namespace Pushpin.ProtocolTests.Docs;

/// <summary>
/// Runs every example in docs/*.md (see <see cref="DocExtractor"/>) against a real Pushpin
/// started by the runner with the shipped <c>* test</c> route. The pages use upstream's default
/// ports (7999, 5560-5564); the examples are rewritten to the ports this cluster got, and
/// <c>pushpin-publish</c>, <c>pushpin-stats</c> and <c>pushpin-runner</c> are on PATH, with
/// GRIP_URL pointing at the cluster's publish API.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DocExamplesTests
{
    private static readonly TimeSpan BlockTimeout = TimeSpan.FromSeconds(60);

    private PushpinCluster? _pushpin;
    private int _metricsPort;

    // The pages' metrics example uses prometheus_port 9090 with prefix pushpin_ (operations.md).
    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _metricsPort = FreePorts.One();
        _pushpin = await PushpinCluster.StartAsync(["* test"], $"prometheus_port = \"127.0.0.1:{_metricsPort}\"\nprometheus_prefix = \"pushpin_\"");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_pushpin is not null)
        {
            await _pushpin.DisposeAsync();
        }
    }

    public static IEnumerable<TestCaseData> Pages() =>
        DocExtractor.Pages().Select(p => new TestCaseData(p).SetName($"Examples_in_{Path.GetFileNameWithoutExtension(p).Replace('-', '_')}_run_as_documented"));

    [TestCaseSource(nameof(Pages))]
    [CancelAfter(300_000)]
    public async Task Examples_run_as_documented(string page)
    {
        var blocks = DocExtractor.Extract(page);
        Assert.That(blocks, Is.Not.Empty, $"{page} has no tested example");
        var dir = Directory.CreateTempSubdirectory("pushpin-docs-").FullName;
        var background = new List<(DocBlock Block, ChildProcess Process)>();
        try
        {
            foreach (var block in blocks)
            {
                switch (block.Mode)
                {
                    case "test":
                        await RunAsync(block, dir);
                        break;
                    case "background":
                        var process = Start(block, dir);
                        background.Add((block, process));
                        // Started means it printed something (a stream's first chunk).
                        await Eventually.TrueAsync(() => process.Lines.Count > 0, $"{block} printing its first line", BlockTimeout);
                        if (block.Flags.Contains("ws-subscribed"))
                        {
                            await WaitWsSubscribedAsync(block, process);
                        }
                        break;
                    case "woh-open":
                        await WohOpenExample.RunAsync(block);
                        break;
                    case "grip-response":
                        await GripResponseExample.RunAsync(block);
                        break;
                    case "runner-error":
                        await RunnerRefusesAsync(block, dir);
                        break;
                    default:
                        Assert.Fail($"{block}: no mode '{block.Mode}'");
                        break;
                }
            }
            foreach (var (block, process) in background)
            {
                if (block.ExpectedOutput is { } expected)
                {
                    await Eventually.TrueAsync(() => ContainsInOrder(process.Lines.ToList(), expected), $"{block} output:\n{string.Join('\n', expected)}\ngot:\n{process.Output}", BlockTimeout);
                }
            }
        }
        finally
        {
            foreach (var (_, process) in background)
            {
                await process.DisposeAsync();
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task RunAsync(DocBlock block, string dir)
    {
        switch (block.Language)
        {
            case "sh" or "python":
                await using (var process = Start(block, dir))
                {
                    var code = await process.WaitForExitAsync(BlockTimeout);
                    Assert.That(code, Is.Zero, $"{block} exit code\n{process.Output}");
                    if (block.ExpectedOutput is { } expected)
                    {
                        await Eventually.TrueAsync(() => ContainsInOrder(process.Lines.ToList(), expected), $"{block} output:\n{string.Join('\n', expected)}\ngot:\n{process.Output}", TimeSpan.FromSeconds(5));
                    }
                }
                break;
            case "toml" or "ini":
                var path = Path.Combine(dir, block.Language == "toml" ? "pushpin.toml" : "pushpin.conf");
                await File.WriteAllTextAsync(path, block.Body);
                var config = PushpinConfig.Load(path);
                Assert.DoesNotThrow(config.Validate, block.ToString());
                Assert.That(config.Warnings, Is.Empty, block.ToString());
                break;
            case "json":
                // A publish body: the publish API must accept it as it is.
                using (var http = new HttpClient { Timeout = BlockTimeout })
                using (var content = new StringContent(block.Body, System.Text.Encoding.UTF8, "application/json"))
                using (var response = await http.PostAsync(_pushpin!.PublishUri, content))
                {
                    Assert.That((int)response.StatusCode, Is.EqualTo(200), $"{block}: {await response.Content.ReadAsStringAsync()}");
                }
                break;
            case "routes":
                var errors = new List<RouteLoadError>();
                var table = RouteTable.Build(block.Body.Split('\n'), block.File, dir, errors);
                Assert.That(errors, Is.Empty, block.ToString());
                Assert.That(table, Is.Not.SameAs(RouteTable.Empty), block.ToString());
                break;
            default:
                Assert.Fail($"{block}: no runner for language '{block.Language}'");
                break;
        }
    }

    // The client's subscription and the page's publish race (as with upstream): publish probes
    // to `test` until the client prints one (extra output lines do not disturb the check).
    private async Task WaitWsSubscribedAsync(DocBlock block, ChildProcess process)
    {
        const string Probe = "docs-probe";
        using var http = new HttpClient();
        var body = "{\"items\":[{\"channel\":\"test\",\"formats\":{\"ws-message\":{\"content\":\"" + Probe + "\"}}}]}";
        var deadline = DateTime.UtcNow + BlockTimeout;
        while (!process.Lines.Any(l => l.Contains(Probe, StringComparison.Ordinal)))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"{block} never got a message published to test\n{process.Output}");
            Assert.That(process.HasExited, Is.False, $"{block} exited\n{process.Output}");
            using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(_pushpin!.PublishUri, content);
            Assert.That(response.IsSuccessStatusCode, Is.True, "probe publish");
            await Task.Delay(250);
        }
    }

    // The runner must exit 1 with the documented line and start no daemon.
    private static async Task RunnerRefusesAsync(DocBlock block, string dir)
    {
        var file = block.Language == "ini" ? "pushpin.conf" : "pushpin.toml";
        await File.WriteAllTextAsync(Path.Combine(dir, file), block.Body);
        await using var runner = ChildProcess.Start(Artifacts.Executable("pushpin-runner"), ["--config", file], dir);
        Assert.That(await runner.WaitForExitAsync(BlockTimeout), Is.EqualTo(1), $"{block}\n{runner.Output}");
        var lines = runner.Lines.Select(l => l.Replace(dir + "/", string.Empty, StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.None.Contains("starting "), $"{block}: a daemon was started");
        Assert.That(block.ExpectedOutput, Is.Not.Null, $"{block} needs an output block");
        Assert.That(ContainsInOrder(lines, block.ExpectedOutput!), Is.True, $"{block} output:\n{string.Join('\n', block.ExpectedOutput!)}\ngot:\n{string.Join('\n', lines)}");
    }

    private ChildProcess Start(DocBlock block, string dir)
    {
        var body = Rewrite(block.Body);
        var env = new Dictionary<string, string>
        {
            ["PATH"] = Artifacts.BinDir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["GRIP_URL"] = $"http://127.0.0.1:{_pushpin!.PublishHttpPort}",
        };
        return block.Language == "python"
            ? ChildProcess.Start("/usr/bin/python3", ["-c", body], dir, env)
            : ChildProcess.Start("bash", ["-e", "-o", "pipefail", "-c", body], dir, env);
    }

    // Upstream's default ports in the pages → this cluster's.
    private string Rewrite(string text)
    {
        var p = _pushpin!;
        foreach (var host in new[] { "localhost", "127.0.0.1" })
        {
            text = text.Replace($"{host}:7999", $"127.0.0.1:{p.HttpPort}", StringComparison.Ordinal);
            text = text.Replace($"{host}:9090", $"127.0.0.1:{_metricsPort.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal);
            for (var port = 5560; port <= 5564; port++)
            {
                text = text.Replace($"{host}:{port}", $"127.0.0.1:{(port + p.PortOffset).ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal);
            }
        }
        return text;
    }

    /// <summary>Each expected line is found in a later output line (its part before "..." when it ends with "...").</summary>
    internal static bool ContainsInOrder(IReadOnlyList<string> output, IReadOnlyList<string> expected)
    {
        var at = 0;
        foreach (var want in expected)
        {
            var part = want.EndsWith("...", StringComparison.Ordinal) ? want[..^3] : want;
            while (at < output.Count && !output[at].Contains(part, StringComparison.Ordinal))
            {
                at++;
            }
            if (at == output.Count)
            {
                return false;
            }
            at++;
        }
        return true;
    }
}
