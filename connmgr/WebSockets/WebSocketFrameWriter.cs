using System.Buffers;
using System.Buffers.Binary;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Writes frames: unmasked as server, masked (fresh key per frame) as client.</summary>
internal static class WebSocketFrameWriter
{
    /// <summary>Messages toward a peer are cut into frames of at most this many payload bytes.</summary>
    /// <remarks>Upstream Pushpin splits at 16,384 (behavior.md §7.3), which keeps one frame within a TLS record.</remarks>
    public const int DefaultMaxFramePayload = 16_384;

    public const int MaxHeaderSize = 14;

    /// <summary>Header size for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int HeaderSize(long payloadLength, bool masked) =>
        (payloadLength <= 125 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + (masked ? 4 : 0);

    /// <summary>Writes one frame.</summary>
    /// <param name="maskKey">Null for server frames; the key for client frames.</param>
    public static void WriteFrame(IBufferWriter<byte> output, WebSocketOpcode opcode, bool fin, bool rsv1, ReadOnlySpan<byte> payload, uint? maskKey)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (((byte)opcode & 0x8) != 0 && payload.Length > WebSocketFrameParser.MaxControlPayload)
        {
            // A caller bug, not bad input: control payloads come from close reasons (already cut)
            // or ping/pong packets the session layer must bound.
            throw new ArgumentException("control frame payload over 125 bytes", nameof(payload));
        }

        var headerSize = HeaderSize(payload.Length, maskKey.HasValue);
        var span = output.GetSpan(headerSize + payload.Length);
        span[0] = (byte)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (byte)opcode);
        var maskBit = maskKey.HasValue ? (byte)0x80 : (byte)0;
        int pos;
        if (payload.Length <= 125)
        {
            span[1] = (byte)(maskBit | payload.Length);
            pos = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            span[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)payload.Length);
            pos = 4;
        }
        else
        {
            span[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(span[2..], (ulong)payload.Length);
            pos = 10;
        }

        if (maskKey is { } key)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[pos..], key);
            pos += 4;
        }

        var body = span.Slice(pos, payload.Length);
        payload.CopyTo(body);
        if (maskKey is { } k)
        {
            WebSocketMask.Apply(body, k, 0);
        }

        output.Advance(pos + payload.Length);
    }

    /// <summary>Writes a whole data message, split into continuation frames when large.</summary>
    /// <param name="compressed">The payload is already deflated: set RSV1 on the first frame.</param>
    public static void WriteMessage(
        IBufferWriter<byte> output,
        WebSocketOpcode opcode,
        ReadOnlySpan<byte> payload,
        WebSocketRole role,
        bool compressed = false,
        int maxFramePayload = DefaultMaxFramePayload)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFramePayload, 1);
        var first = true;
        do
        {
            var length = Math.Min(payload.Length, maxFramePayload);
            var last = length == payload.Length;
            WriteFrame(
                output,
                first ? opcode : WebSocketOpcode.Continuation,
                last,
                first && compressed,
                payload[..length],
                role == WebSocketRole.Client ? WebSocketMask.NewKey() : null);
            payload = payload[length..];
            first = false;
        }
        while (!payload.IsEmpty);
    }

    /// <summary>Writes a close frame; reserved codes (1005/1006/1015) become a close without a code.</summary>
    public static void WriteClose(IBufferWriter<byte> output, int code, string? reason, WebSocketRole role) =>
        WriteFrame(
            output,
            WebSocketOpcode.Close,
            fin: true,
            rsv1: false,
            WebSocketClosePayload.Encode(code, reason),
            role == WebSocketRole.Client ? WebSocketMask.NewKey() : null);
}
