using System.Buffers;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

public sealed class WebSocketFrameParserUnitTests
{
    private const long Max = 1 << 20;

    private static WebSocketParseStatus Parse(byte[] bytes, WebSocketRole role, out WebSocketFrame frame, out WebSocketError error, byte allowedRsv = 0, long max = Max) =>
        WebSocketFrameParser.TryParse(new ReadOnlySequence<byte>(bytes), role, allowedRsv, max, out frame, out _, out error);

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    [Test]
    public void Rfc_single_frame_unmasked_text_parses_as_client()
    {
        var status = Parse(Hex("81 05 48 65 6c 6c 6f"), WebSocketRole.Client, out var frame, out _);
        Assert.That(status, Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(frame.Fin, Is.True);
        Assert.That(frame.Opcode, Is.EqualTo(WebSocketOpcode.Text));
        Assert.That(frame.MaskKey, Is.Null);
        Assert.That(frame.PayloadToArray(), Is.EqualTo("Hello"u8.ToArray()));
    }

    [Test]
    public void Rfc_single_frame_masked_text_is_unmasked_as_server()
    {
        var status = Parse(Hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), WebSocketRole.Server, out var frame, out _);
        Assert.That(status, Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(frame.MaskKey, Is.EqualTo(0x37fa213dU));
        Assert.That(frame.PayloadToArray(), Is.EqualTo("Hello"u8.ToArray()));
    }

    [Test]
    public void Rfc_fragmented_unmasked_text_parses_frame_by_frame()
    {
        var bytes = Hex("01 03 48 65 6c 80 02 6c 6f");
        var seq = new ReadOnlySequence<byte>(bytes);
        Assert.That(WebSocketFrameParser.TryParse(seq, WebSocketRole.Client, 0, Max, out var first, out var consumed, out _), Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(first.Fin, Is.False);
        Assert.That(first.Opcode, Is.EqualTo(WebSocketOpcode.Text));
        Assert.That(first.PayloadToArray(), Is.EqualTo("Hel"u8.ToArray()));
        seq = seq.Slice(consumed);
        Assert.That(WebSocketFrameParser.TryParse(seq, WebSocketRole.Client, 0, Max, out var second, out consumed, out _), Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(second.Fin, Is.True);
        Assert.That(second.Opcode, Is.EqualTo(WebSocketOpcode.Continuation));
        Assert.That(second.PayloadToArray(), Is.EqualTo("lo"u8.ToArray()));
        Assert.That(seq.Slice(consumed).Length, Is.Zero);
    }

    [Test]
    public void Rfc_ping_and_masked_pong_parse()
    {
        Assert.That(Parse(Hex("89 05 48 65 6c 6c 6f"), WebSocketRole.Client, out var ping, out _), Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(ping.Opcode, Is.EqualTo(WebSocketOpcode.Ping));
        Assert.That(ping.IsControl, Is.True);
        Assert.That(Parse(Hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), WebSocketRole.Server, out var pong, out _), Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(pong.Opcode, Is.EqualTo(WebSocketOpcode.Pong));
        Assert.That(pong.PayloadToArray(), Is.EqualTo("Hello"u8.ToArray()));
    }

    [Test]
    public void Rfc_256_byte_and_64k_binary_lengths_parse()
    {
        var medium = new byte[4 + 256];
        Hex("82 7E 01 00").CopyTo(medium, 0);
        Assert.That(Parse(medium, WebSocketRole.Client, out var m, out _), Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(m.PayloadLength, Is.EqualTo(256));

        var large = new byte[10 + 65536];
        Hex("82 7F 00 00 00 00 00 01 00 00").CopyTo(large, 0);
        Assert.That(Parse(large, WebSocketRole.Client, out var l, out _), Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(l.PayloadLength, Is.EqualTo(65536));
        Assert.That(l.Opcode, Is.EqualTo(WebSocketOpcode.Binary));
    }

    [Test]
    public void Every_strict_prefix_of_a_frame_needs_more_data()
    {
        var bytes = Hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
        for (var i = 0; i < bytes.Length; i++)
        {
            Assert.That(Parse(bytes[..i], WebSocketRole.Server, out _, out _), Is.EqualTo(WebSocketParseStatus.NeedMoreData), $"prefix {i}");
        }
    }

    [Test]
    public void Frame_split_across_segments_parses_and_unmasks()
    {
        var bytes = Hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var seq = Segments.Of(bytes[..cut], bytes[cut..]);
            Assert.That(WebSocketFrameParser.TryParse(seq, WebSocketRole.Server, 0, Max, out var frame, out var consumed, out _), Is.EqualTo(WebSocketParseStatus.Done));
            Assert.That(frame.PayloadToArray(), Is.EqualTo("Hello"u8.ToArray()), $"cut {cut}");
            Assert.That(seq.Slice(consumed).Length, Is.Zero);
        }
    }

    [TestCase("83 00", TestName = "Reserved_data_opcode_3_is_a_protocol_error")]
    [TestCase("8B 00", TestName = "Reserved_control_opcode_B_is_a_protocol_error")]
    [TestCase("C1 00", TestName = "RSV1_without_extension_is_a_protocol_error")]
    [TestCase("A1 00", TestName = "RSV2_is_a_protocol_error")]
    [TestCase("91 00", TestName = "RSV3_is_a_protocol_error")]
    [TestCase("09 00", TestName = "Fragmented_ping_is_a_protocol_error")]
    [TestCase("89 7E 00 7E", TestName = "Ping_over_125_bytes_is_a_protocol_error")]
    [TestCase("81 7F 80 00 00 00 00 00 00 01", TestName = "Length_with_top_bit_set_is_a_protocol_error")]
    public void Client_side_violations_close_with_1002(string hex)
    {
        Assert.That(Parse(Hex(hex), WebSocketRole.Client, out _, out var error), Is.EqualTo(WebSocketParseStatus.Error));
        Assert.That(error.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    public void Unmasked_client_frame_is_rejected_by_a_server()
    {
        Assert.That(Parse(Hex("81 05 48 65 6c 6c 6f"), WebSocketRole.Server, out _, out var error), Is.EqualTo(WebSocketParseStatus.Error));
        Assert.That(error.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    public void Masked_server_frame_is_rejected_by_a_client()
    {
        Assert.That(Parse(Hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), WebSocketRole.Client, out _, out var error), Is.EqualTo(WebSocketParseStatus.Error));
        Assert.That(error.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    public void Frame_over_the_size_limit_closes_with_1009_before_its_payload_arrives()
    {
        Assert.That(Parse(Hex("82 7E 01 00"), WebSocketRole.Client, out _, out var error, max: 255), Is.EqualTo(WebSocketParseStatus.Error));
        Assert.That(error.CloseCode, Is.EqualTo(1009));
    }

    [Test]
    public void RSV1_is_allowed_on_a_first_data_frame_when_deflate_was_negotiated()
    {
        Assert.That(Parse(Hex("C1 01 00"), WebSocketRole.Client, out var frame, out _, allowedRsv: 0x4), Is.EqualTo(WebSocketParseStatus.Done));
        Assert.That(frame.Rsv1, Is.True);
        Assert.That(Parse(Hex("C0 01 00"), WebSocketRole.Client, out _, out var cont, allowedRsv: 0x4), Is.EqualTo(WebSocketParseStatus.Error));
        Assert.That(cont.CloseCode, Is.EqualTo(1002));
        Assert.That(Parse(Hex("C9 00"), WebSocketRole.Client, out _, out var ping, allowedRsv: 0x4), Is.EqualTo(WebSocketParseStatus.Error));
        Assert.That(ping.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    [CancelAfter(20_000)]
    public void Seeded_random_input_never_throws_and_always_progresses_or_stops()
    {
        var random = new Random(6455);
        for (var run = 0; run < 20_000; run++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length > 1 && random.Next(2) == 0)
            {
                // Keep lengths small half of the time so whole frames get parsed, not just headers.
                bytes[1] = (byte)((bytes[1] & 0x80) | random.Next(0, 40));
            }

            var seq = new ReadOnlySequence<byte>(bytes);
            var role = (WebSocketRole)random.Next(2);
            var tracker = new WebSocketMessageTracker(1000);
            for (var guard = 0; guard < 100; guard++)
            {
                var status = WebSocketFrameParser.TryParse(seq, role, (byte)random.Next(8), 1000, out var frame, out var consumed, out var error);
                if (status == WebSocketParseStatus.Error)
                {
                    Assert.That(error.CloseCode, Is.AnyOf(1002, 1009));
                    break;
                }

                if (status == WebSocketParseStatus.NeedMoreData)
                {
                    break;
                }

                var payload = frame.PayloadToArray();
                if (frame.Opcode == WebSocketOpcode.Close)
                {
                    WebSocketClosePayload.TryParse(payload, out _, out _, out _);
                }
                else if (!frame.IsControl && tracker.TryBeginFrame(frame, out _, out _) && tracker.MessageOpcode == WebSocketOpcode.Text)
                {
                    tracker.TryAppendText(payload, frame.Fin, out _);
                }

                Assert.That(seq.Slice(consumed).Length, Is.LessThan(seq.Length));
                seq = seq.Slice(consumed);
            }
        }
    }
}
