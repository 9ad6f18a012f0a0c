using System.Buffers.Binary;
using System.Text;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Reads and writes the body of a close frame: nothing, or a 2-byte code and a UTF-8 reason.</summary>
internal static class WebSocketClosePayload
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Validates a received close payload (already unmasked).</summary>
    /// <param name="code">The code, or <see cref="WebSocketCloseCodes.NoStatus"/> when the frame had none.</param>
    public static bool TryParse(ReadOnlySpan<byte> payload, out ushort code, out string reason, out WebSocketError error)
    {
        code = WebSocketCloseCodes.NoStatus;
        reason = string.Empty;
        error = default;
        if (payload.Length == 0)
        {
            return true;
        }

        if (payload.Length == 1)
        {
            error = WebSocketError.Protocol("close frame with a 1-byte payload");
            return false;
        }

        var raw = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!WebSocketCloseCodes.IsValidOnWire(raw))
        {
            error = WebSocketError.Protocol($"invalid close code {raw}");
            return false;
        }

        var reasonBytes = payload[2..];
        if (!System.Text.Unicode.Utf8.IsValid(reasonBytes))
        {
            error = WebSocketError.InvalidPayload("close reason is not valid UTF-8");
            return false;
        }

        code = raw;
        reason = reasonBytes.Length == 0 ? string.Empty : StrictUtf8.GetString(reasonBytes);
        return true;
    }

    /// <summary>Encodes a close payload; a reserved or absent code yields an empty payload.</summary>
    /// <remarks>
    /// 1005/1006/1015 only describe local conditions, so they turn into "no code" rather than
    /// leak onto the wire. The reason is cut (at a character boundary) so the frame stays a
    /// legal control frame of at most 125 bytes.
    /// </remarks>
    public static byte[] Encode(int code, string? reason)
    {
        if (!WebSocketCloseCodes.IsValidOnWire(code))
        {
            return [];
        }

        var text = reason ?? string.Empty;
        var max = WebSocketFrameParser.MaxControlPayload - 2;
        var bytes = Encoding.UTF8.GetBytes(text);
        var length = bytes.Length;
        if (length > max)
        {
            length = max;
            // Step back over continuation bytes so the cut never splits a character.
            while (length > 0 && (bytes[length] & 0xC0) == 0x80)
            {
                length--;
            }
        }

        var result = new byte[2 + length];
        BinaryPrimitives.WriteUInt16BigEndian(result, (ushort)code);
        bytes.AsSpan(0, length).CopyTo(result.AsSpan(2));
        return result;
    }
}
