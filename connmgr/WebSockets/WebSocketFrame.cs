using System.Buffers;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>One parsed frame: header fields plus the still-masked payload slice of the input.</summary>
/// <remarks>
/// The parser never writes to its input, so the payload stays masked; <see cref="CopyPayloadTo"/>
/// unmasks while copying, which is the copy the caller makes anyway (into a zhttp body).
/// </remarks>
internal readonly record struct WebSocketFrame(
    bool Fin,
    byte Rsv,
    WebSocketOpcode Opcode,
    uint? MaskKey,
    ReadOnlySequence<byte> Payload)
{
    /// <summary>True for close, ping and pong (opcode bit 3 set).</summary>
    public bool IsControl => ((byte)Opcode & 0x8) != 0;

    /// <summary>RSV1: with permessage-deflate, marks the first frame of a compressed message.</summary>
    public bool Rsv1 => (Rsv & 0x4) != 0;

    public int PayloadLength => (int)Payload.Length;

    /// <summary>Writes the unmasked payload into <paramref name="destination"/> (at least <see cref="PayloadLength"/> bytes).</summary>
    public void CopyPayloadTo(Span<byte> destination) => WebSocketMask.CopyUnmasked(Payload, MaskKey, destination);

    /// <summary>The unmasked payload as a new array (for tests and rare paths).</summary>
    public byte[] PayloadToArray()
    {
        var result = new byte[PayloadLength];
        CopyPayloadTo(result);
        return result;
    }
}
