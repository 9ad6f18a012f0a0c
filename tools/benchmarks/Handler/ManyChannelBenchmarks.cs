using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Sessions;
using Pushpin.Handler.Variants;

namespace Pushpin.Benchmarks.Handler;

/// <summary>
/// The many-channel case in process: 10,000 stream holds, each on its own channel, and one
/// publish request body of 100 items (one per channel, as loadgen's <c>manychan</c> sends them)
/// parsed and delivered, every outgoing packet encoded. What one item costs the handler when
/// nothing can be shared between sessions.
/// </summary>
[MemoryDiagnoser]
public class ManyChannelBenchmarks
{
    private const int Sessions = 10_000;
    private const int ItemsPerRequest = 100;

    private readonly TnetStringWriter _writer = new();
    private HandlerEngine _engine = null!;
    private byte[][] _bodies = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var batcher = new FanoutBatcher((_, packet, _) =>
        {
            _writer.Reset();
            ZhttpCodec.Encode(packet, _writer);
        });
        batcher.PeerSeen("connmgr", multi: true);
        _engine = new HandlerEngine(new SessionContext("handler_bench", new HeldStreams.BatchingSink(batcher), TimeProvider.System, NullLogger.Instance));
        for (var i = 0; i < Sessions; i++)
        {
            var r = _engine.HandleAccept("1", HeldStreams.AcceptArgs($"0-{i}-0", $"c{i}"));
            if (!r.Success)
            {
                throw new InvalidOperationException(r.Condition);
            }
            _engine.StartAccepted();
        }
        // One request body per block of 100 channels, like the load tool's batches.
        _bodies = new byte[Sessions / ItemsPerRequest][];
        for (var b = 0; b < _bodies.Length; b++)
        {
            var json = new StringBuilder("{\"items\":[");
            for (var i = 0; i < ItemsPerRequest; i++)
            {
                json.Append(i == 0 ? "" : ",").Append("{\"channel\":\"c").Append((b * ItemsPerRequest) + i)
                    .Append("\",\"formats\":{\"http-stream\":{\"content\":\"m 1 638000000000000\\n\"}}}");
            }
            _bodies[b] = Encoding.ASCII.GetBytes(json.Append("]}").ToString());
        }
    }

    [Benchmark(OperationsPerInvoke = ItemsPerRequest)]
    public int ParseAndDeliverOneRequest()
    {
        var body = _bodies[_next++ % _bodies.Length];
        if (!JsonVariant.TryParse(body, out var doc) || doc is not Dictionary<string, object?> map ||
            map["items"] is not List<object?> list || !PublishItemParser.TryParseItems(list, out var items, out var error))
        {
            throw new InvalidOperationException("bad body");
        }
        _engine.Publish(items);
        return items.Count;
    }
}
