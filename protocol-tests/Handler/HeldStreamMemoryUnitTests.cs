using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.Stats;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Sessions;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>Managed memory the handler keeps per held stream, for an accept shaped like the proxy's.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HeldStreamMemoryUnitTests
{
    private const int Sessions = 5000;

    private sealed class NullSender : IZhttpSender
    {
        public void Send(string requesterId, ZhttpPacket packet, bool routerResp)
        {
        }
    }

    private static List<object?> Headers(params (string, string)[] headers) =>
        headers.Select(h => (object?)new List<object?> { Encoding.Latin1.GetBytes(h.Item1), Encoding.Latin1.GetBytes(h.Item2) }).ToList();

    // What our proxy sends for `curl -N http://host:7999/stream` answered by a GRIP stream hold.
    internal static Dictionary<string, object?> ProxyLikeAccept(int i, string channel)
    {
        var client = Headers(("Host", "127.0.0.1:7999"), ("User-Agent", "loadgen/1.0"), ("Accept", "*/*"), ("Connection", "keep-alive"));
        var backend = Headers(("Host", "127.0.0.1:7999"), ("User-Agent", "loadgen/1.0"), ("Accept", "*/*"), ("Grip-Sig", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJwdXNocGluIiwiZXhwIjoxNzY0MDAwMDAwfQ.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"), ("X-Forwarded-For", "127.0.0.1"));
        var request = new Dictionary<string, object?>
        {
            ["rid"] = new Dictionary<string, object?> { ["sender"] = "connmgr"u8.ToArray(), ["id"] = Encoding.Latin1.GetBytes($"0-{i}-1") },
            ["in-seq"] = 1L,
            ["out-seq"] = 1L,
            ["out-credits"] = 1_000_000L,
            ["router-resp"] = true,
            ["peer-address"] = "127.0.0.1"u8.ToArray(),
        };
        return new Dictionary<string, object?>
        {
            ["requests"] = new List<object?> { request },
            ["request-data"] = new Dictionary<string, object?> { ["method"] = "GET"u8.ToArray(), ["uri"] = "http://127.0.0.1:7999/stream"u8.ToArray(), ["headers"] = backend, ["body"] = Array.Empty<byte>() },
            ["orig-request-data"] = new Dictionary<string, object?> { ["method"] = "GET"u8.ToArray(), ["uri"] = "http://127.0.0.1:7999/stream"u8.ToArray(), ["headers"] = client, ["body"] = Array.Empty<byte>() },
            ["inspect"] = new Dictionary<string, object?> { ["no-proxy"] = false },
            ["response"] = new Dictionary<string, object?>
            {
                ["code"] = 200L,
                ["reason"] = "OK"u8.ToArray(),
                ["headers"] = Headers(("Content-Type", "text/event-stream"), ("Grip-Hold", "stream"), ("Grip-Channel", channel), ("Grip-Keep-Alive", "\\n; format=cstring; timeout=30"), ("Date", "Mon, 23 Nov 2026 21:00:00 GMT"), ("Server", "Kestrel")),
                ["body"] = "stream open\n"u8.ToArray(),
            },
            ["route"] = "*"u8.ToArray(),
            ["trusted"] = false,
        };
    }

    // As the loadgen hold scenario: every stream on its own channel (or all on one).
    [TestCase(true, TestName = "Held_stream_on_its_own_channel_keeps_under_2500_managed_bytes_with_stats_on")]
    [TestCase(false, TestName = "Held_stream_on_a_shared_channel_keeps_under_2500_managed_bytes_with_stats_on")]
    public void Held_stream_memory(bool ownChannel)
    {
        var stats = new StatsAggregator(new StatsAggregatorOptions { InstanceId = "handler_m", ReportInterval = TimeSpan.Zero }, _ => { });
        var engine = new HandlerEngine(new SessionContext("handler_m", new NullSender(), TimeProvider.System, NullLogger.Instance), options: new HandlerEngineOptions { UpdateOnFirstSubscription = false }) { Stats = stats };
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Sessions; i++)
        {
            // The decoded args are garbage once accepted, as in the daemon.
            var r = engine.HandleAccept("1", ProxyLikeAccept(i, ownChannel ? "hold-" + i : "hold"));
            Assert.That(r.Success, Is.True, r.Condition);
            engine.StartAccepted();
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perSession = (after - before) / (double)Sessions;
        TestContext.Out.WriteLine($"managed bytes per held stream: {perSession:F0}");
        Assert.That(engine.SessionCount, Is.EqualTo(Sessions));
        // 4.8 KB before streams dropped the request headers, the response and the retry data.
        Assert.That(perSession, Is.LessThan(2500));
        GC.KeepAlive(engine);
        GC.KeepAlive(stats);
    }
}
