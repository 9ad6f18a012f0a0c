using System.Buffers;
using System.Text;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Validates UTF-8 that arrives in pieces (fragments of one text message).</summary>
/// <remarks>
/// A character may be split across fragments, so up to 3 bytes of an incomplete sequence are
/// carried over. An invalid prefix (e.g. <c>F4 90</c>) fails at once rather than at the end of
/// the message, so a bad client is closed as early as possible (RFC 6455 §8.1 "fail fast").
/// </remarks>
internal struct Utf8StreamValidator
{
    // Pending bytes of an incomplete character, packed low byte first.
    private uint _pending;
    private int _pendingLength;

    /// <summary>True when no incomplete character is pending (a message may end here).</summary>
    public readonly bool IsComplete => _pendingLength == 0;

    public void Reset()
    {
        _pending = 0;
        _pendingLength = 0;
    }

    /// <summary>Feeds the next piece; false when the bytes so far can no longer be valid UTF-8.</summary>
    public bool Append(ReadOnlySpan<byte> data)
    {
        if (_pendingLength > 0)
        {
            Span<byte> buffer = stackalloc byte[4];
            for (var i = 0; i < _pendingLength; i++)
            {
                buffer[i] = (byte)(_pending >> (8 * i));
            }

            var have = _pendingLength;
            var taken = 0;
            while (true)
            {
                var status = Rune.DecodeFromUtf8(buffer[..have], out _, out _);
                if (status == OperationStatus.Done)
                {
                    break;
                }

                if (status != OperationStatus.NeedMoreData)
                {
                    return false;
                }

                if (taken == data.Length)
                {
                    Store(buffer[..have]);
                    return true;
                }

                buffer[have++] = data[taken++];
            }

            _pendingLength = 0;
            _pending = 0;
            data = data[taken..];
        }

        var tailStart = IncompleteTailStart(data);
        if (!System.Text.Unicode.Utf8.IsValid(data[..tailStart]))
        {
            return false;
        }

        var tail = data[tailStart..];
        if (tail.IsEmpty)
        {
            return true;
        }

        if (Rune.DecodeFromUtf8(tail, out _, out _) != OperationStatus.NeedMoreData)
        {
            return false;
        }

        Store(tail);
        return true;
    }

    private void Store(ReadOnlySpan<byte> bytes)
    {
        _pending = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            _pending |= (uint)bytes[i] << (8 * i);
        }

        _pendingLength = bytes.Length;
    }

    /// <summary>Where a trailing multi-byte sequence that is too short starts (or data.Length).</summary>
    private static int IncompleteTailStart(ReadOnlySpan<byte> data)
    {
        var limit = Math.Max(0, data.Length - 3);
        for (var i = data.Length - 1; i >= limit; i--)
        {
            var b = data[i];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            var needed = b switch
            {
                < 0x80 => 1,
                >= 0xC0 and < 0xE0 => 2,
                >= 0xE0 and < 0xF0 => 3,
                >= 0xF0 and < 0xF8 => 4,
                _ => 1,
            };
            return data.Length - i < needed ? i : data.Length;
        }

        return data.Length;
    }
}
