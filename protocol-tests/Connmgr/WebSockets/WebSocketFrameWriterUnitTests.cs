using System.Buffers;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

public sealed class WebSocketFrameWriterUnitTests
{
    private static string Hex(ArrayBufferWriter<byte> w) => Convert.ToHexString(w.WrittenSpan).ToLowerInvariant();

    [Test]
    public void Server_text_frame_matches_the_rfc_example()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Text, true, false, "Hello"u8, null);
        Assert.That(Hex(w), Is.EqualTo("810548656c6c6f"));
    }

    [Test]
    public void Client_text_frame_with_the_rfc_key_matches_the_rfc_example()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Text, true, false, "Hello"u8, 0x37fa213d);
        Assert.That(Hex(w), Is.EqualTo("818537fa213d7f9f4d5158"));
    }

    [TestCase(125, "817d")]
    [TestCase(126, "817e007e")]
    [TestCase(65535, "817effff")]
    [TestCase(65536, "817f0000000000010000")]
    public void Length_uses_the_smallest_encoding(int length, string header)
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Text, true, false, new byte[length], null);
        Assert.That(Hex(w)[..header.Length], Is.EqualTo(header));
        Assert.That(w.WrittenCount, Is.EqualTo(WebSocketFrameWriter.HeaderSize(length, false) + length));
    }

    [Test]
    public void Large_server_message_is_split_into_16k_continuation_frames_that_parse_back()
    {
        var message = new byte[40_000];
        new Random(1).NextBytes(message);
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteMessage(w, WebSocketOpcode.Binary, message, WebSocketRole.Server);

        var frames = ParseAll(w.WrittenMemory, WebSocketRole.Client);
        Assert.That(frames.Select(f => f.Opcode), Is.EqualTo(new[] { WebSocketOpcode.Binary, WebSocketOpcode.Continuation, WebSocketOpcode.Continuation }));
        Assert.That(frames.Select(f => f.PayloadLength), Is.EqualTo(new[] { 16_384, 16_384, 40_000 - 32_768 }));
        Assert.That(frames.Select(f => f.Fin), Is.EqualTo(new[] { false, false, true }));
        Assert.That(frames.SelectMany(f => f.PayloadToArray()).ToArray(), Is.EqualTo(message));
    }

    [Test]
    public void Client_message_frames_are_masked_and_unmask_back()
    {
        var message = new byte[20_000];
        new Random(2).NextBytes(message);
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteMessage(w, WebSocketOpcode.Text, message, WebSocketRole.Client);
        var frames = ParseAll(w.WrittenMemory, WebSocketRole.Server);
        Assert.That(frames, Has.Count.EqualTo(2));
        Assert.That(frames.All(f => f.MaskKey.HasValue), Is.True);
        Assert.That(frames.SelectMany(f => f.PayloadToArray()).ToArray(), Is.EqualTo(message));
    }

    [Test]
    public void Empty_message_is_one_final_frame()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteMessage(w, WebSocketOpcode.Text, [], WebSocketRole.Server);
        Assert.That(Hex(w), Is.EqualTo("8100"));
    }

    [Test]
    public void Close_frame_carries_code_and_reason()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteClose(w, 4001, "bye", WebSocketRole.Server);
        Assert.That(Hex(w), Is.EqualTo("88050fa1627965"));
    }

    [TestCase(1005)]
    [TestCase(1006)]
    [TestCase(1015)]
    public void Reserved_close_codes_never_reach_the_wire(int code)
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteClose(w, code, "x", WebSocketRole.Server);
        Assert.That(Hex(w), Is.EqualTo("8800"));
    }

    [Test]
    public void Long_close_reason_is_cut_to_a_legal_control_frame_at_a_character_boundary()
    {
        var payload = WebSocketClosePayload.Encode(1000, new string('é', 100));
        Assert.That(payload, Has.Length.LessThanOrEqualTo(125));
        Assert.That(WebSocketClosePayload.TryParse(payload, out var code, out var reason, out _), Is.True);
        Assert.That(code, Is.EqualTo(1000));
        Assert.That(reason, Is.EqualTo(new string('é', 61)));
    }

    [Test]
    public void Mask_applied_at_an_offset_matches_masking_in_one_go()
    {
        var data = new byte[37];
        new Random(3).NextBytes(data);
        var whole = (byte[])data.Clone();
        WebSocketMask.Apply(whole, 0xA1B2C3D4, 0);
        var pieces = (byte[])data.Clone();
        WebSocketMask.Apply(pieces.AsSpan(0, 5), 0xA1B2C3D4, 0);
        WebSocketMask.Apply(pieces.AsSpan(5, 19), 0xA1B2C3D4, 5);
        WebSocketMask.Apply(pieces.AsSpan(24), 0xA1B2C3D4, 24);
        Assert.That(pieces, Is.EqualTo(whole));
    }

    internal static List<WebSocketFrame> ParseAll(ReadOnlyMemory<byte> bytes, WebSocketRole role)
    {
        var seq = new ReadOnlySequence<byte>(bytes);
        var frames = new List<WebSocketFrame>();
        while (!seq.IsEmpty)
        {
            var status = WebSocketFrameParser.TryParse(seq, role, 0x4, 1 << 20, out var frame, out var consumed, out var error);
            Assert.That(status, Is.EqualTo(WebSocketParseStatus.Done), error.Reason);
            frames.Add(frame);
            seq = seq.Slice(consumed);
        }

        return frames;
    }
}
