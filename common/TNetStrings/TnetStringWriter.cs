using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Pushpin.Common.TNetStrings;

/// <summary>
/// Writes TNetStrings into a pooled, growable buffer. Containers are opened with
/// <see cref="BeginDictionary"/>/<see cref="BeginList"/> and closed with <see cref="End"/>;
/// their SIZE prefix is filled in at the end by shifting the children left over a reserved
/// gap, so no child is encoded twice. Reuse one writer (call <see cref="Reset"/>) to encode
/// without allocating.
/// </summary>
public sealed class TnetStringWriter : IDisposable
{
    // Room reserved in front of a container for its SIZE digits plus ':'.
    private const int Reserve = 11;

    private byte[] _buffer;
    private int _position;
    private readonly Stack<int> _open = new();

    public TnetStringWriter(int initialCapacity = 512)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    public int Length => _position;

    public void Reset()
    {
        _position = 0;
        _open.Clear();
    }

    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Writes a raw byte (for prefixes such as the zhttp <c>T</c>).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _position += bytes.Length;
    }

    public void WriteString(ReadOnlySpan<byte> value)
    {
        WriteHeader(value.Length);
        WriteRaw(value);
        WriteTag(TnetStringType.ByteString);
    }

    /// <summary>Writes text as UTF-8.</summary>
    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteHeader(count);
        Encoding.UTF8.GetBytes(value, GetSpan(count));
        _position += count;
        WriteTag(TnetStringType.ByteString);
    }

    /// <summary>Writes text as Latin-1 (one byte per char), for fields that carry opaque bytes as strings.</summary>
    public void WriteLatin1(string value)
    {
        WriteHeader(value.Length);
        Encoding.Latin1.GetBytes(value, GetSpan(value.Length));
        _position += value.Length;
        WriteTag(TnetStringType.ByteString);
    }

    public void WriteInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var n);
        WriteHeader(n);
        WriteRaw(digits[..n]);
        WriteTag(TnetStringType.Integer);
    }

    public void WriteFloat(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        WriteHeader(text.Length);
        Encoding.ASCII.GetBytes(text, GetSpan(text.Length));
        _position += text.Length;
        WriteTag(TnetStringType.Float);
    }

    public void WriteBoolean(bool value)
    {
        if (value)
        {
            WriteRaw("4:true!"u8);
        }
        else
        {
            WriteRaw("5:false!"u8);
        }
    }

    public void WriteNull() => WriteRaw("0:~"u8);

    public void BeginDictionary() => Begin();

    public void BeginList() => Begin();

    /// <summary>Closes the innermost open dictionary or list.</summary>
    public void EndDictionary() => End(TnetStringType.Dictionary);

    public void EndList() => End(TnetStringType.List);

    private void Begin()
    {
        GetSpan(Reserve);
        _open.Push(_position);
        _position += Reserve;
    }

    private void End(TnetStringType type)
    {
        if (_open.Count == 0)
        {
            throw new InvalidOperationException("no open container");
        }
        var start = _open.Pop();
        var dataStart = start + Reserve;
        var size = _position - dataStart;
        Span<byte> prefix = stackalloc byte[Reserve];
        Utf8Formatter.TryFormat(size, prefix, out var n);
        prefix[n++] = (byte)':';
        // Shift the children left so they follow the real prefix directly.
        _buffer.AsSpan(dataStart, size).CopyTo(_buffer.AsSpan(start + n));
        prefix[..n].CopyTo(_buffer.AsSpan(start));
        _position = start + n + size;
        WriteTag(type);
    }

    private void WriteHeader(int size)
    {
        var span = GetSpan(Reserve);
        Utf8Formatter.TryFormat(size, span, out var n);
        span[n] = (byte)':';
        _position += n + 1;
    }

    private void WriteTag(TnetStringType type)
    {
        GetSpan(1)[0] = (byte)type;
        _position++;
    }

    private Span<byte> GetSpan(int size)
    {
        if (_position + size > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + size));
            _buffer.AsSpan(0, _position).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        return _buffer.AsSpan(_position);
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
