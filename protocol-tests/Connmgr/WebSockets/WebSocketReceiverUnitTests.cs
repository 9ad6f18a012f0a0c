using System.Buffers;
using System.Text;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

public sealed class WebSocketReceiverUnitTests
{
    private static List<(WebSocketReceived Received, string Payload)> ReceiveAll(WebSocketReceiver receiver, ReadOnlyMemory<byte> wire, out WebSocketError? error)
    {
        var seq = new ReadOnlySequence<byte>(wire);
        var result = new List<(WebSocketReceived, string)>();
        var payload = new ArrayBufferWriter<byte>();
        error = null;
        while (!seq.IsEmpty)
        {
            payload.ResetWrittenCount();
            var status = receiver.TryReceive(seq, payload, out var received, out var consumed, out var e);
            if (status == WebSocketParseStatus.Error)
            {
                error = e;
                break;
            }

            Assert.That(status, Is.EqualTo(WebSocketParseStatus.Done));
            var bytes = received.Opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary ? payload.WrittenSpan : received.ControlPayload.Span;
            result.Add((received, Encoding.UTF8.GetString(bytes)));
            seq = seq.Slice(consumed);
        }

        return result;
    }

    [Test]
    public void Ping_between_fragments_stays_out_of_the_message()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Text, false, false, "Hel"u8, 0x01020304);
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Ping, true, false, "p!"u8, 0x0A0B0C0D);
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Continuation, true, false, "lo"u8, 0x11121314);
        using var receiver = new WebSocketReceiver(WebSocketRole.Server, null, 1000);
        var got = ReceiveAll(receiver, w.WrittenMemory, out var error);
        Assert.That(error, Is.Null);
        Assert.That(got.Select(g => (g.Received.Opcode, g.Received.IsFirst, g.Received.IsFinal, g.Payload)), Is.EqualTo(new[]
        {
            (WebSocketOpcode.Text, true, false, "Hel"),
            (WebSocketOpcode.Ping, true, true, "p!"),
            (WebSocketOpcode.Text, false, true, "lo"),
        }));
    }

    [Test]
    public void Close_frame_reports_code_and_reason_and_marks_the_receiver_closed()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteClose(w, 1001, "away", WebSocketRole.Client);
        using var receiver = new WebSocketReceiver(WebSocketRole.Server, null, 1000);
        var got = ReceiveAll(receiver, w.WrittenMemory, out _).Single();
        Assert.That((got.Received.CloseCode, got.Received.CloseReason, got.Payload), Is.EqualTo(((ushort)1001, "away", "away")));
        Assert.That(receiver.CloseReceived, Is.True);
    }

    [Test]
    public void Close_with_a_reserved_code_is_a_protocol_error()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Close, true, false, [0x03, 0xED], 0x01020304);
        using var receiver = new WebSocketReceiver(WebSocketRole.Server, null, 1000);
        ReceiveAll(receiver, w.WrittenMemory, out var error);
        Assert.That(error?.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    public void Compressed_frame_without_negotiation_is_a_protocol_error()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Text, true, true, Convert.FromHexString("f248cdc9c90700"), 0x01020304);
        using var receiver = new WebSocketReceiver(WebSocketRole.Server, null, 1000);
        ReceiveAll(receiver, w.WrittenMemory, out var error);
        Assert.That(error?.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    public void Compressed_rfc_hello_is_inflated_when_negotiated()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Text, true, true, Convert.FromHexString("f248cdc9c90700"), 0x01020304);
        using var receiver = new WebSocketReceiver(WebSocketRole.Server, new PerMessageDeflateParameters(false, false), 1000);
        var got = ReceiveAll(receiver, w.WrittenMemory, out var error).Single();
        Assert.That(error, Is.Null);
        Assert.That((got.Received.Opcode, got.Payload), Is.EqualTo((WebSocketOpcode.Text, "Hello")));
    }
}
