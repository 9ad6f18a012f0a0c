using System.Buffers;
using System.Buffers.Binary;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Parses one frame at a time from a byte sequence (RFC 6455 §5.2), as a pure function.</summary>
/// <remarks>
/// Checks everything decidable from one frame: reserved opcodes and RSV bits, masking direction,
/// control frame size and fragmentation, the 64-bit length's top bit and the frame size limit.
/// Rules that span frames (continuations, UTF-8) belong to <see cref="WebSocketMessageTracker"/>.
/// A frame is only returned whole, so <c>maxFrameSize</c> bounds what the caller buffers.
/// </remarks>
internal static class WebSocketFrameParser
{
    public const int MaxControlPayload = 125;

    /// <param name="input">Bytes received so far.</param>
    /// <param name="role">Our role: as server we require masked frames, as client unmasked ones.</param>
    /// <param name="allowedRsv">RSV bits an extension negotiated (0x4 = RSV1 for permessage-deflate).</param>
    /// <param name="maxFrameSize">Largest payload accepted in one frame; bigger → 1009.</param>
    /// <param name="consumed">On <see cref="WebSocketParseStatus.Done"/>, the position after the frame.</param>
    public static WebSocketParseStatus TryParse(
        in ReadOnlySequence<byte> input,
        WebSocketRole role,
        byte allowedRsv,
        long maxFrameSize,
        out WebSocketFrame frame,
        out SequencePosition consumed,
        out WebSocketError error)
    {
        frame = default;
        consumed = input.Start;
        error = default;

        // The longest header is 2 + 8 + 4 bytes; copy what we have of it to a flat buffer.
        Span<byte> head = stackalloc byte[14];
        var available = (int)Math.Min(input.Length, head.Length);
        if (available < 2)
        {
            return WebSocketParseStatus.NeedMoreData;
        }

        input.Slice(0, available).CopyTo(head);
        var b0 = head[0];
        var b1 = head[1];
        var fin = (b0 & 0x80) != 0;
        var rsv = (byte)((b0 >> 4) & 0x7);
        var opcodeValue = (byte)(b0 & 0x0F);
        var masked = (b1 & 0x80) != 0;
        var len7 = b1 & 0x7F;

        // Decide protocol errors as early as the bytes allow, so garbage is rejected without
        // waiting for a huge claimed length to arrive.
        if (!IsKnownOpcode(opcodeValue))
        {
            error = WebSocketError.Protocol($"reserved opcode 0x{opcodeValue:x}");
            return WebSocketParseStatus.Error;
        }

        var opcode = (WebSocketOpcode)opcodeValue;
        var isControl = (opcodeValue & 0x8) != 0;
        if ((rsv & ~allowedRsv) != 0)
        {
            error = WebSocketError.Protocol("reserved bits set without a negotiated extension");
            return WebSocketParseStatus.Error;
        }

        if ((rsv & 0x4) != 0 && (isControl || opcode == WebSocketOpcode.Continuation))
        {
            // RFC 7692 §6.1: only the first frame of a data message carries the compressed bit.
            error = WebSocketError.Protocol("RSV1 on a control or continuation frame");
            return WebSocketParseStatus.Error;
        }

        if (isControl && !fin)
        {
            error = WebSocketError.Protocol("fragmented control frame");
            return WebSocketParseStatus.Error;
        }

        if (isControl && len7 > MaxControlPayload)
        {
            error = WebSocketError.Protocol("control frame payload over 125 bytes");
            return WebSocketParseStatus.Error;
        }

        if (masked != (role == WebSocketRole.Server))
        {
            error = WebSocketError.Protocol(masked ? "masked frame from the server" : "unmasked frame from the client");
            return WebSocketParseStatus.Error;
        }

        var headerLength = 2;
        long payloadLength = len7;
        if (len7 == 126)
        {
            headerLength += 2;
            if (available < headerLength)
            {
                return WebSocketParseStatus.NeedMoreData;
            }

            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
        }
        else if (len7 == 127)
        {
            headerLength += 8;
            if (available < headerLength)
            {
                return WebSocketParseStatus.NeedMoreData;
            }

            var raw = BinaryPrimitives.ReadUInt64BigEndian(head[2..]);
            if ((raw & 0x8000_0000_0000_0000UL) != 0)
            {
                error = WebSocketError.Protocol("64-bit payload length with the top bit set");
                return WebSocketParseStatus.Error;
            }

            payloadLength = (long)raw;
        }

        if (payloadLength > maxFrameSize)
        {
            error = WebSocketError.TooBig($"frame of {payloadLength} bytes exceeds the limit of {maxFrameSize}");
            return WebSocketParseStatus.Error;
        }

        uint? maskKey = null;
        if (masked)
        {
            if (available < headerLength + 4)
            {
                return WebSocketParseStatus.NeedMoreData;
            }

            maskKey = BinaryPrimitives.ReadUInt32BigEndian(head[headerLength..]);
            headerLength += 4;
        }

        if (input.Length - headerLength < payloadLength)
        {
            return WebSocketParseStatus.NeedMoreData;
        }

        var payload = input.Slice(headerLength, payloadLength);
        frame = new WebSocketFrame(fin, rsv, opcode, maskKey, payload);
        consumed = payload.End;
        return WebSocketParseStatus.Done;
    }

    private static bool IsKnownOpcode(byte value) => value is <= 0x2 or (>= 0x8 and <= 0xA);
}
