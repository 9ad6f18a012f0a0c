using System.Buffers.Text;

namespace Pushpin.LoadGen;

/// <summary>
/// Decodes a chunked body incrementally: feed it whatever bytes arrived, it passes the chunk
/// data on and says how much it used (an incomplete size line is left for the next call).
/// Allocates nothing.
/// </summary>
internal struct ChunkedBody
{
    private long _remaining;   // data bytes left in the current chunk
    private bool _inData;
    private bool _needCrlf;    // the CRLF after a chunk's data
    private bool _inTrailer;   // after the last chunk: lines until an empty one

    public int Decode(ReadOnlySpan<byte> input, ClientConnection.SpanAction onData, out bool done)
    {
        var used = 0;
        done = false;
        while (used < input.Length)
        {
            var rest = input[used..];
            if (_inData)
            {
                var n = (int)Math.Min(_remaining, rest.Length);
                onData(rest[..n]);
                used += n;
                _remaining -= n;
                if (_remaining == 0)
                {
                    _inData = false;
                    _needCrlf = true;
                }
                continue;
            }
            var eol = rest.IndexOf("\r\n"u8);
            if (eol < 0)
            {
                if (rest.Length > 1024)
                {
                    throw new IOException("chunk size line too long");
                }
                return used;
            }
            var line = rest[..eol];
            used += eol + 2;
            if (_needCrlf)
            {
                _needCrlf = false;
                continue;
            }
            if (_inTrailer)
            {
                if (line.IsEmpty)
                {
                    done = true;
                    return used;
                }
                continue;
            }
            var semi = line.IndexOf((byte)';');
            if (!Utf8Parser.TryParse(semi >= 0 ? line[..semi] : line, out long size, out _, 'x'))
            {
                throw new IOException("bad chunk size line");
            }
            if (size == 0)
            {
                _inTrailer = true;
                continue;
            }
            _remaining = size;
            _inData = true;
        }
        return used;
    }
}
