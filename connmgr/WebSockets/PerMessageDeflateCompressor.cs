using System.Buffers;
using System.IO.Compression;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Compresses outgoing messages for permessage-deflate (RFC 7692 §7.2.1).</summary>
/// <remarks>
/// DeflateStream writes raw deflate; its Flush() is a zlib sync flush, which ends the output
/// with the empty stored block 00 00 FF FF that the RFC says to strip. With context takeover
/// the stream lives across messages so later messages can refer to earlier ones.
/// Not thread-safe: one per connection, used by the connection's writer.
/// </remarks>
internal sealed class PerMessageDeflateCompressor : IDisposable
{
    private static readonly byte[] EmptyBlock = [0x00];

    private readonly bool _noContextTakeover;
    private readonly CompressionLevel _level;
    private readonly MemoryStream _sink = new();
    private DeflateStream? _deflate;

    public PerMessageDeflateCompressor(bool noContextTakeover, CompressionLevel level = CompressionLevel.Fastest)
    {
        _noContextTakeover = noContextTakeover;
        _level = level;
    }

    /// <summary>Appends the compressed form of one whole message to <paramref name="output"/>.</summary>
    public void Compress(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _sink.SetLength(0);
        _deflate ??= new DeflateStream(_sink, _level, leaveOpen: true);
        _deflate.Write(message);
        _deflate.Flush();
        var written = _sink.GetBuffer().AsSpan(0, (int)_sink.Length);
        if (written.EndsWith(PerMessageDeflateDecompressor.Tail))
        {
            written = written[..^4];
        }

        if (written.IsEmpty)
        {
            // Nothing was flushed (empty message, no pending data): a single empty stored-block
            // header byte is the smallest valid compressed payload (RFC 7692 §7.2.3.6).
            written = EmptyBlock;
        }

        output.Write(written);
        if (_noContextTakeover)
        {
            _deflate.Dispose();
            _deflate = null;
        }
    }

    public void Dispose()
    {
        _deflate?.Dispose();
        _sink.Dispose();
    }
}
