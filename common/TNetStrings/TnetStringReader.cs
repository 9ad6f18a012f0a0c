using System.Buffers.Text;

namespace Pushpin.Common.TNetStrings;

/// <summary>
/// Allocation-free, forward-only reader over an encoded TNetString buffer. Each call to
/// <see cref="Read"/> yields the next value at this level; containers are entered with
/// <see cref="Enter"/>, which returns a reader over their children.
/// </summary>
public ref struct TnetStringReader
{
    // SIZE is at most this many digits: anything longer cannot fit in memory anyway.
    private const int MaxSizeDigits = 10;

    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _end;
    private int _position;

    public TnetStringReader(ReadOnlySpan<byte> buffer)
        : this(buffer, 0, buffer.Length)
    {
    }

    private TnetStringReader(ReadOnlySpan<byte> buffer, int start, int end)
    {
        _buffer = buffer;
        _position = start;
        _end = end;
    }

    /// <summary>True when this level has no more values.</summary>
    public readonly bool End => _position >= _end;

    /// <summary>Bytes consumed so far at this level, relative to its start.</summary>
    public readonly int Position => _position;

    /// <summary>Parses the next value header and skips over its data.</summary>
    public TnetStringItem Read()
    {
        var item = Peek(_buffer, _position, _end);
        _position += item.TotalLength;
        return item;
    }

    /// <summary>A reader over the children of a dictionary or list item.</summary>
    public readonly TnetStringReader Enter(in TnetStringItem item)
    {
        if (item.Type is not (TnetStringType.Dictionary or TnetStringType.List))
        {
            throw new TnetStringException($"cannot enter a {item.Type}");
        }
        return new TnetStringReader(_buffer, item.DataOffset, item.DataOffset + item.DataLength);
    }

    public readonly ReadOnlySpan<byte> Data(in TnetStringItem item) => _buffer.Slice(item.DataOffset, item.DataLength);

    public readonly long ReadInteger(in TnetStringItem item)
    {
        if (item.Type != TnetStringType.Integer)
        {
            throw new TnetStringException($"expected an integer, found {item.Type}");
        }
        var data = Data(item);
        if (!Utf8Parser.TryParse(data, out long value, out var consumed) || consumed != data.Length)
        {
            throw new TnetStringException("bad integer");
        }
        return value;
    }

    public readonly bool ReadBoolean(in TnetStringItem item)
    {
        if (item.Type != TnetStringType.Boolean)
        {
            throw new TnetStringException($"expected a boolean, found {item.Type}");
        }
        return ParseBoolean(Data(item));
    }

    internal static bool ParseBoolean(ReadOnlySpan<byte> data)
    {
        if (data.SequenceEqual("true"u8))
        {
            return true;
        }
        if (data.SequenceEqual("false"u8))
        {
            return false;
        }
        throw new TnetStringException("bad boolean");
    }

    /// <summary>Parses the value header at <paramref name="start"/> without moving anything.</summary>
    public static TnetStringItem Peek(ReadOnlySpan<byte> buffer, int start, int end)
    {
        var pos = start;
        long size = 0;
        var digits = 0;
        while (true)
        {
            if (pos >= end)
            {
                throw new TnetStringException(digits == 0 ? "unexpected end of input" : "missing ':' after size");
            }
            var b = buffer[pos];
            if (b == (byte)':')
            {
                break;
            }
            if (b is < (byte)'0' or > (byte)'9')
            {
                throw new TnetStringException("size must be decimal digits");
            }
            if (++digits > MaxSizeDigits)
            {
                throw new TnetStringException("size too long");
            }
            size = (size * 10) + (b - '0');
            pos++;
        }
        if (digits == 0)
        {
            throw new TnetStringException("missing size");
        }
        pos++; // ':'
        if (size > end - pos - 1)
        {
            throw new TnetStringException("size runs past the end of input");
        }
        var dataOffset = pos;
        var tag = buffer[dataOffset + (int)size];
        var type = tag switch
        {
            (byte)',' => TnetStringType.ByteString,
            (byte)'#' => TnetStringType.Integer,
            (byte)'^' => TnetStringType.Float,
            (byte)'!' => TnetStringType.Boolean,
            (byte)'~' => TnetStringType.Null,
            (byte)'}' => TnetStringType.Dictionary,
            (byte)']' => TnetStringType.List,
            _ => throw new TnetStringException($"unknown type tag 0x{tag:x2}"),
        };
        if (type == TnetStringType.Null && size != 0)
        {
            throw new TnetStringException("null must be empty");
        }
        return new TnetStringItem(type, dataOffset, (int)size, dataOffset + (int)size + 1 - start);
    }
}
