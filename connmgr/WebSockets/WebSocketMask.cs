using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>The XOR masking of RFC 6455 §5.3.</summary>
internal static class WebSocketMask
{
    /// <summary>A fresh, unpredictable masking key (client frames only).</summary>
    public static uint NewKey()
    {
        Span<byte> key = stackalloc byte[4];
        RandomNumberGenerator.Fill(key);
        return BinaryPrimitives.ReadUInt32BigEndian(key);
    }

    /// <summary>XORs <paramref name="data"/> in place with the key, as if it started at byte <paramref name="offset"/> of the payload.</summary>
    /// <param name="key">The 4 key bytes as they appear on the wire, read big-endian.</param>
    public static void Apply(Span<byte> data, uint key, long offset)
    {
        if (data.IsEmpty)
        {
            return;
        }

        // Rotate the key so byte 0 of data lines up with key byte (offset % 4), then work in
        // 8-byte words: the key repeated twice, in memory order.
        Span<byte> pattern = stackalloc byte[8];
        var shift = (int)(offset & 3);
        for (var i = 0; i < 8; i++)
        {
            pattern[i] = (byte)(key >> (8 * (3 - ((i + shift) & 3))));
        }

        var word = MemoryMarshal.Read<ulong>(pattern);
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        for (var i = 0; i < words.Length; i++)
        {
            words[i] ^= word;
        }

        for (var i = words.Length * 8; i < data.Length; i++)
        {
            data[i] ^= pattern[i & 7];
        }
    }

    /// <summary>Copies a (possibly multi-segment) masked payload into <paramref name="destination"/>, unmasking it.</summary>
    public static void CopyUnmasked(in ReadOnlySequence<byte> payload, uint? key, Span<byte> destination)
    {
        payload.CopyTo(destination);
        if (key is { } k)
        {
            Apply(destination[..(int)payload.Length], k, 0);
        }
    }
}
