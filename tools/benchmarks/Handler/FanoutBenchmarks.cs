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
/// One published item to 10,000 stream holds in process: the handler engine's fan-out with
/// every outgoing packet encoded (as the responder does before queueing it to NetMQ), with
/// multi-id merging (what a multi peer gets) and without (one packet per session), and with the
/// shipped publish limiter (<c>message_rate = 2500</c>, <c>message_hwm = 25000</c>) on or off.
/// With the limiter on, the clock moves a second per reading, so every delivery finds a token
/// and runs at once (the steady state of a rate under the limit; nothing queues or drops).
/// </summary>
[MemoryDiagnoser]
public class FanoutBenchmarks
{
    private const int Sessions = 10_000;

    private readonly TnetStringWriter _writer = new();
    private HandlerEngine _engine = null!;
    private FanoutBatcher _batcher = null!;
    private PublishItem _item = null!;

    [Params(false, true)]
    public bool Merge { get; set; }

    [Params(false, true)]
    public bool Limiter { get; set; }

    /// <summary>Bytes encoded toward connmgr for one item (all packets).</summary>
    public long BytesPerItem { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _batcher = new FanoutBatcher((_, packet, _) =>
        {
            _writer.Reset();
            ZhttpCodec.Encode(packet, _writer);
            BytesPerItem += _writer.Length;
        });
        var sender = new HeldStreams.BatchingSink(_batcher);
        _engine = Limiter
            ? new HandlerEngine(new SessionContext("handler_bench", sender, new SteppingClock(), NullLogger.Instance), options: new HandlerEngineOptions { MessageRate = 2500, MessageHwm = 25_000 })
            : new HandlerEngine(new SessionContext("handler_bench", sender, TimeProvider.System, NullLogger.Instance));
        for (var i = 0; i < Sessions; i++)
        {
            var r = _engine.HandleAccept("1", HeldStreams.AcceptArgs($"0-{i}-0"));
            if (!r.Success)
            {
                throw new InvalidOperationException(r.Condition);
            }
            _engine.StartAccepted();
        }
        if (Merge)
        {
            _batcher.PeerSeen("connmgr", multi: true);
        }
        if (!JsonVariant.TryParse("""{"channel":"c","formats":{"http-stream":{"content":"data: {\"price\": 101.25}\n\n"}}}"""u8.ToArray(), out var v) ||
            !PublishItemParser.TryParse(v, null, out var item, out var error))
        {
            throw new InvalidOperationException("bad item");
        }
        _item = item!;
    }

    [Benchmark]
    public long PublishOneItemToTenThousandSessions()
    {
        var before = _batcher.PacketsSent;
        _engine.Publish(_item);
        return _batcher.PacketsSent - before;
    }

    // Each reading is a second later: the limiter's bucket is full for every delivery.
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks += TimeSpan.TicksPerSecond;
    }
}
