using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.WebSockets;

/// <summary>
/// WebSocket-over-HTTP against a backend written with the real GRIP libraries
/// (<c>@fanoutio/grip</c> 4.3.0, <c>@fanoutio/serve-grip</c> 2.0.0, express; <c>node/app.js</c>):
/// it accepts, subscribes, echoes and publishes through our publish API.
/// </summary>
[NonParallelizable]
[CancelAfter(420_000)]
public sealed class GripLibraryBackendTests
{
    private ChildProcess? _node;
    private PushpinCluster? _pushpin;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var appDir = await PrepareNodeAppAsync();
        var port = FreePorts.One();
        var routes = new[] { $"* 127.0.0.1:{port},over_http" };
        _pushpin = await PushpinCluster.StartAsync(routes);
        var publishBase = $"http://127.0.0.1:{_pushpin.PublishHttpPort}/";
        _node = ChildProcess.Start("node", ["app.js", port.ToString(System.Globalization.CultureInfo.InvariantCulture), publishBase], workingDirectory: appDir);
        await _node.WaitForLineAsync("listening on", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Copies the app to a cache folder keyed by its files and runs <c>npm install</c> there once
    /// (bounded); no node or no registry → Inconclusive, not a failure.
    /// </summary>
    private static async Task<string> PrepareNodeAppAsync()
    {
        var source = Path.Combine(Artifacts.RepoRoot, "protocol-tests", "EndToEnd", "WebSockets", "node");
        var files = new[] { "package.json", "app.js" };
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(files.Select(f => File.ReadAllText(Path.Combine(source, f)))))))[..16];
        var dir = Path.Combine(Path.GetTempPath(), "pushpin-ws-node-" + hash);
        Directory.CreateDirectory(dir);
        foreach (var f in files)
        {
            File.Copy(Path.Combine(source, f), Path.Combine(dir, f), overwrite: true);
        }
        if (Directory.Exists(Path.Combine(dir, "node_modules", "@fanoutio", "serve-grip")))
        {
            return dir;
        }
        ChildProcess npm;
        try
        {
            npm = ChildProcess.Start("npm", ["install", "--no-audit", "--no-fund"], workingDirectory: dir);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Inconclusive("npm is not available: " + e.Message);
            throw;
        }
        await using (npm)
        {
            int code;
            try
            {
                code = await npm.WaitForExitAsync(TimeSpan.FromSeconds(240));
            }
            catch (OperationCanceledException)
            {
                Assert.Inconclusive("npm install did not finish in 240 s (no registry?)");
                throw;
            }
            if (code != 0)
            {
                Assert.Inconclusive("npm install failed (no registry?): " + string.Join('\n', npm.Lines.TakeLast(10)));
            }
        }
        return dir;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
        if (_pushpin is not null)
        {
            await _pushpin.DisposeAsync();
        }
    }

    [TearDown]
    public void ShowLogOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed && _pushpin is not null)
        {
            TestContext.Out.WriteLine(string.Join('\n', _pushpin.Runner.Lines.TakeLast(60)));
            TestContext.Out.WriteLine(string.Join('\n', _node?.Lines.TakeLast(20) ?? []));
        }
    }

    [Test]
    public async Task Grip_library_backend_accepts_echoes_and_publishes_to_subscribers(CancellationToken ct)
    {
        using var http = new HttpClient();
        var uri = new Uri($"ws://127.0.0.1:{_pushpin!.HttpPort}/ws/noderoom");
        using var listener = await WsClients.ConnectSubscribedAsync(http, _pushpin, uri, "noderoom", ct);
        using var ws = await WsClients.ConnectSubscribedAsync(http, _pushpin, uri, "noderoom", ct);

        await WsClients.SendTextAsync(ws, "hi node", ct);
        Assert.That(await WsClients.ReceiveTextAsync(ws, ct), Is.EqualTo("echo:hi node"));

        // The backend publishes through our publish API with the library's publisher.
        await WsClients.SendTextAsync(ws, "publish", ct);
        var got = new[] { await WsClients.ReceiveTextAsync(ws, ct), await WsClients.ReceiveTextAsync(ws, ct) };
        Assert.That(got, Is.EquivalentTo(new[] { "published", "published by node" }));
        Assert.That(await WsClients.ReceiveTextAsync(listener, ct), Is.EqualTo("published by node"));

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        Assert.That(ws.State, Is.EqualTo(WebSocketState.Closed));
    }
}
