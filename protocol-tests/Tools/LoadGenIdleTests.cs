using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Tools;

/// <summary>pushpin-loadgen idle against a plain listener: it opens and holds the asked number of connections, each with half a request head, and records them.</summary>
[TestFixture]
public sealed class LoadGenIdleTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Idle_partial_opens_and_holds_n_connections_with_half_a_head(CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var json = Path.Combine(Path.GetTempPath(), $"loadgen-idle-{Guid.NewGuid():N}.jsonl");
        var accepted = new List<TcpClient>();
        var heads = new List<string>();
        var acceptor = Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                var c = await listener.AcceptTcpClientAsync(ct);
                accepted.Add(c);
                var buffer = new byte[256];
                var n = await c.GetStream().ReadAsync(buffer, ct);
                heads.Add(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }, ct);
        try
        {
            await using var loadgen = ChildProcess.Start(Artifacts.Executable("pushpin-loadgen"),
                ["idle", "--client", $"127.0.0.1:{port}", "-c", "20", "--mode", "partial", "--settle", "0", "--hold", "5", "--procs", "no-such-process", "--json", json]);
            await acceptor.WaitAsync(TimeSpan.FromSeconds(30), ct);
            // Held: the loadgen is still in its --hold wait, and no connection was closed.
            Assert.That(loadgen.HasExited, Is.False);
            Assert.That(await loadgen.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero);
            Assert.That(heads, Has.Count.EqualTo(20).And.All.StartWith("GET /hello HTTP/1.1\r\n").And.None.Contains("\r\n\r\n"));
            using var line = JsonDocument.Parse(File.ReadLines(json).Single());
            Assert.That(line.RootElement.GetProperty("scenario").GetString(), Is.EqualTo("idle-partial"));
            Assert.That(line.RootElement.GetProperty("connections").GetDouble(), Is.EqualTo(20));
            Assert.That(line.RootElement.GetProperty("failed").GetDouble(), Is.Zero);
        }
        finally
        {
            accepted.ForEach(c => c.Dispose());
            File.Delete(json);
        }
    }
}
