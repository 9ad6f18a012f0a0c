using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Sessions;
using Pushpin.Handler.Variants;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>
/// The fan-out hot path allocates nothing per session per delivery: no closure in the publish
/// limiter, no zhttp packet per body write (every packet is encoded, as the responder does).
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(30_000)]
public sealed class DeliveryAllocationUnitTests
{
    private const int Sessions = 1000;

    // Encodes each packet into a reused writer, as the real responder encodes before queueing.
    private sealed class EncodingSink : IZhttpSender
    {
        private readonly Pushpin.Common.TNetStrings.TnetStringWriter _writer = new();

        public long Packets { get; private set; }

        public void Send(string requesterId, ZhttpPacket packet, bool routerResp)
        {
            _writer.Reset();
            ZhttpCodec.Encode(packet, _writer);
            Packets++;
        }
    }

    // Each reading is a second later, so the limiter always has a token (nothing queues).
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks += TimeSpan.TicksPerSecond;
    }

    [TestCase(0, TestName = "Stream_fan_out_allocates_nothing_per_session_with_the_limiter_off")]
    [TestCase(2500, TestName = "Stream_fan_out_allocates_nothing_per_session_with_the_shipped_message_rate")]
    public void Fan_out_allocations(int messageRate)
    {
        var sink = new EncodingSink();
        var engine = new HandlerEngine(
            new SessionContext("handler_u", sink, new SteppingClock(), NullLogger.Instance),
            options: new HandlerEngineOptions { MessageRate = messageRate, MessageHwm = 25_000, UpdateOnFirstSubscription = false });
        for (var i = 0; i < Sessions; i++)
        {
            var r = engine.HandleAccept("1", HandlerHarness.AcceptArgs(HandlerHarness.Request($"s-{i}", 1_000_000_000), 200, "OK", [("Grip-Hold", "stream"), ("Grip-Channel", "c")], ""));
            Assert.That(r.Success, Is.True, r.Condition);
            engine.StartAccepted();
        }
        Assert.That(JsonVariant.TryParse("""{"channel":"c","formats":{"http-stream":{"content":"data: 1\n\n"}}}"""u8.ToArray(), out var v), Is.True);
        Assert.That(PublishItemParser.TryParse(v, null, out var item, out var error), Is.True, error);

        engine.Publish(item!); // warm-up: lists and writers reach their size
        var packets = sink.Packets;
        var before = GC.GetAllocatedBytesForCurrentThread();
        engine.Publish(item!);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(sink.Packets - packets, Is.EqualTo(Sessions), "every session got the item");
        Assert.That(allocated / (double)Sessions, Is.LessThan(8), $"{allocated} bytes for {Sessions} deliveries");
    }
}
