using System.Text;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

public sealed class WebSocketMessageRulesUnitTests
{
    private static WebSocketFrame Frame(WebSocketOpcode opcode, bool fin, int length = 1) =>
        new(fin, 0, opcode, null, new System.Buffers.ReadOnlySequence<byte>(new byte[length]));

    [Test]
    public void Continuation_without_a_message_is_a_protocol_error()
    {
        var tracker = new WebSocketMessageTracker(100);
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Continuation, true), out _, out var error), Is.False);
        Assert.That(error.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    public void New_message_inside_a_fragmented_one_is_a_protocol_error()
    {
        var tracker = new WebSocketMessageTracker(100);
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Text, false), out var first, out _), Is.True);
        Assert.That(first, Is.True);
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Binary, true), out _, out var error), Is.False);
        Assert.That(error.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    public void Fragmented_message_completes_and_the_next_may_start()
    {
        var tracker = new WebSocketMessageTracker(100);
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Binary, false), out _, out _), Is.True);
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Continuation, false), out var first, out _), Is.True);
        Assert.That(first, Is.False);
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Continuation, true), out _, out _), Is.True);
        Assert.That(tracker.InMessage, Is.False);
        Assert.That(tracker.MessageOpcode, Is.EqualTo(WebSocketOpcode.Binary));
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Text, true), out _, out _), Is.True);
    }

    [Test]
    public void Message_over_the_limit_across_fragments_closes_with_1009()
    {
        var tracker = new WebSocketMessageTracker(100);
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Binary, false, 60), out _, out _), Is.True);
        Assert.That(tracker.TryBeginFrame(Frame(WebSocketOpcode.Continuation, true, 41), out _, out var error), Is.False);
        Assert.That(error.CloseCode, Is.EqualTo(1009));
    }

    [Test]
    public void Utf8_character_split_across_fragments_is_valid()
    {
        var bytes = Encoding.UTF8.GetBytes("κόσμε 𝄞 ok");
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            for (var cut2 = cut; cut2 <= bytes.Length; cut2++)
            {
                var tracker = new WebSocketMessageTracker(100);
                tracker.TryBeginFrame(Frame(WebSocketOpcode.Text, false), out _, out _);
                Assert.That(tracker.TryAppendText(bytes.AsSpan(0, cut), false, out _), Is.True);
                Assert.That(tracker.TryAppendText(bytes.AsSpan(cut, cut2 - cut), false, out _), Is.True);
                Assert.That(tracker.TryAppendText(bytes.AsSpan(cut2), true, out _), Is.True, $"cuts {cut},{cut2}");
            }
        }
    }

    [TestCase("ce bae1bdb9cf83cebcceb5eda080656469746564", TestName = "Surrogate_half_is_invalid_utf8")]
    [TestCase("f4 90808080", TestName = "Code_point_over_10FFFF_is_invalid_utf8")]
    [TestCase("c0 af", TestName = "Overlong_encoding_is_invalid_utf8")]
    [TestCase("ff", TestName = "Byte_FF_is_invalid_utf8")]
    [TestCase("80", TestName = "Lone_continuation_byte_is_invalid_utf8")]
    public void Invalid_utf8_closes_with_1007(string hex)
    {
        var bytes = Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
        var tracker = new WebSocketMessageTracker(100);
        tracker.TryBeginFrame(Frame(WebSocketOpcode.Text, true), out _, out _);
        Assert.That(tracker.TryAppendText(bytes, true, out var error), Is.False);
        Assert.That(error.CloseCode, Is.EqualTo(1007));
    }

    [Test]
    public void Invalid_prefix_fails_fast_without_waiting_for_the_message_end()
    {
        var validator = default(Utf8StreamValidator);
        Assert.That(validator.Append([0xCE, 0xBA]), Is.True);
        Assert.That(validator.Append([0xF4]), Is.True);
        Assert.That(validator.IsComplete, Is.False);
        Assert.That(validator.Append([0x90]), Is.False);
    }

    [Test]
    public void Truncated_character_at_message_end_closes_with_1007()
    {
        var tracker = new WebSocketMessageTracker(100);
        tracker.TryBeginFrame(Frame(WebSocketOpcode.Text, true), out _, out _);
        Assert.That(tracker.TryAppendText([0xE2, 0x82], true, out var error), Is.False);
        Assert.That(error.CloseCode, Is.EqualTo(1007));
    }

    [TestCase(1000, true)]
    [TestCase(1003, true)]
    [TestCase(1004, false)]
    [TestCase(1005, false)]
    [TestCase(1006, false)]
    [TestCase(1007, true)]
    [TestCase(1011, true)]
    [TestCase(1014, true)]
    [TestCase(1015, false)]
    [TestCase(1016, false)]
    [TestCase(2999, false)]
    [TestCase(3000, true)]
    [TestCase(4999, true)]
    [TestCase(5000, false)]
    [TestCase(999, false)]
    [TestCase(0, false)]
    public void Close_code_validity_follows_rfc_6455_section_7_4(int code, bool valid) =>
        Assert.That(WebSocketCloseCodes.IsValidOnWire(code), Is.EqualTo(valid));

    [Test]
    public void Close_payload_rules()
    {
        Assert.That(WebSocketClosePayload.TryParse([], out var none, out _, out _), Is.True);
        Assert.That(none, Is.EqualTo(1005));
        Assert.That(WebSocketClosePayload.TryParse([0x03], out _, out _, out var one), Is.False);
        Assert.That(one.CloseCode, Is.EqualTo(1002));
        Assert.That(WebSocketClosePayload.TryParse([0x03, 0xED], out _, out _, out var reserved), Is.False);
        Assert.That(reserved.CloseCode, Is.EqualTo(1002));
        Assert.That(WebSocketClosePayload.TryParse([0x03, 0xE8, 0xFF], out _, out _, out var badReason), Is.False);
        Assert.That(badReason.CloseCode, Is.EqualTo(1007));
        Assert.That(WebSocketClosePayload.TryParse([0x0F, 0xA1, (byte)'b', (byte)'y', (byte)'e'], out var code, out var reason, out _), Is.True);
        Assert.That((code, reason), Is.EqualTo(((ushort)4001, "bye")));
    }
}
