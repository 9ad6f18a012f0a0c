using System.Buffers;
using System.IO.Compression;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Inflates incoming compressed messages for permessage-deflate (RFC 7692 §7.2.2).</summary>
/// <remarks>
/// Fragments are fed as they arrive; after the last one the 00 00 FF FF tail the sender stripped
/// is appended. Output is capped so a small compressed frame cannot inflate without bound.
/// With context takeover the inflater lives across messages (the peer's window carries over).
/// Not thread-safe: one per connection.
/// </remarks>
internal sealed class PerMessageDeflateDecompressor : IDisposable
{
    internal static ReadOnlySpan<byte> Tail => [0x00, 0x00, 0xFF, 0xFF];

    private readonly bool _noContextTakeover;
    private readonly FeedStream _feed = new();
    private DeflateStream? _inflate;

    public PerMessageDeflateDecompressor(bool noContextTakeover)
    {
        _noContextTakeover = noContextTakeover;
    }

    /// <summary>Inflates the next piece of a compressed message into <paramref name="output"/>.</summary>
    /// <param name="final">True for the message's last fragment.</param>
    /// <param name="maxOutput">Most bytes this call may produce; beyond it → <see cref="WebSocketCloseCodes.MessageTooBig"/>.</param>
    /// <param name="produced">Bytes written to <paramref name="output"/>.</param>
    public bool TryDecompress(ReadOnlySpan<byte> compressed, bool final, IBufferWriter<byte> output, long maxOutput, out long produced, out WebSocketError error)
    {
        ArgumentNullException.ThrowIfNull(output);
        produced = 0;
        error = default;
        _feed.Set(compressed, final);
        _inflate ??= new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            while (true)
            {
                var span = output.GetSpan(4096);
                var n = _inflate.Read(span);
                if (n == 0)
                {
                    break;
                }

                produced += n;
                if (produced > maxOutput)
                {
                    error = WebSocketError.TooBig($"inflated message exceeds the limit of {maxOutput} bytes");
                    Reset();
                    return false;
                }

                output.Advance(n);
            }
        }
        catch (InvalidDataException)
        {
            error = WebSocketError.InvalidPayload("compressed data is corrupt");
            Reset();
            return false;
        }

        if (final && _noContextTakeover)
        {
            Reset();
        }

        return true;
    }

    public void Dispose()
    {
        _inflate?.Dispose();
        _feed.Dispose();
    }

    private void Reset()
    {
        _inflate?.Dispose();
        _inflate = null;
    }

    /// <summary>A read-only stream over the bytes of the current piece (plus the tail when final).</summary>
    /// <remarks>Returning 0 means "no input for now"; DeflateStream asks again on the next call.</remarks>
    private sealed class FeedStream : Stream
    {
        private byte[] _buffer = new byte[4096];
        private int _position;
        private int _length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Set(ReadOnlySpan<byte> data, bool final)
        {
            var needed = data.Length + (final ? 4 : 0);
            if (_buffer.Length < needed)
            {
                _buffer = new byte[Math.Max(needed, _buffer.Length * 2)];
            }

            data.CopyTo(_buffer);
            if (final)
            {
                Tail.CopyTo(_buffer.AsSpan(data.Length));
            }

            _position = 0;
            _length = needed;
        }

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, _length - _position);
            _buffer.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
