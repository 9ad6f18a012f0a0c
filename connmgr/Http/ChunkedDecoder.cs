using System.Buffers;

namespace Pushpin.Connmgr.Http;

/// <summary>
/// Incremental decoder of a chunked request body (RFC 9112 §7.1). One instance per connection,
/// <see cref="Reset"/> between requests.
/// </summary>
/// <remarks>Chunk extensions and trailers are read and dropped: zhttp has no place for them.</remarks>
internal sealed class ChunkedDecoder
{
    private const int MaxLineLength = 4096;
    private const int MaxTrailerBytes = 8192;

    private State _state = State.Size;
    private long _remaining;
    private int _trailerBytes;

    private enum State
    {
        Size,
        Data,
        DataEnd,
        Trailers,
        Done,
    }

    public bool IsDone => _state == State.Done;

    public void Reset()
    {
        _state = State.Size;
        _remaining = 0;
        _trailerBytes = 0;
    }

    /// <summary>
    /// Decodes framing from <paramref name="input"/> until body bytes are available or more input is needed.
    /// </summary>
    /// <param name="input">Unconsumed bytes.</param>
    /// <param name="maxData">At most this many body bytes are returned (the caller's credit); must be positive.</param>
    /// <param name="data">Body bytes (a slice of <paramref name="input"/>) when <see cref="ChunkedStatus.Data"/>.</param>
    /// <param name="consumed">Everything up to here has been decoded (including <paramref name="data"/>).</param>
    /// <param name="rejection">Why, when <see cref="ChunkedStatus.Rejected"/>.</param>
    public ChunkedStatus Read(in ReadOnlySequence<byte> input, long maxData, out ReadOnlySequence<byte> data, out SequencePosition consumed, out RequestRejection rejection)
    {
        var reader = new SequenceReader<byte>(input);
        data = default;
        rejection = RequestRejection.None;
        while (true)
        {
            consumed = reader.Position;
            switch (_state)
            {
                case State.Size:
                {
                    if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
                    {
                        if (reader.Remaining > MaxLineLength)
                        {
                            rejection = RequestRejection.BadChunkSize;
                            return ChunkedStatus.Rejected;
                        }
                        return ChunkedStatus.NeedMoreData;
                    }
                    if (line.Length > MaxLineLength || !TryParseSizeLine(line, out var size))
                    {
                        rejection = RequestRejection.BadChunkSize;
                        return ChunkedStatus.Rejected;
                    }
                    _remaining = size;
                    _state = size == 0 ? State.Trailers : State.Data;
                    break;
                }
                case State.Data:
                {
                    if (reader.Remaining == 0)
                    {
                        return ChunkedStatus.NeedMoreData;
                    }
                    var n = Math.Min(Math.Min(_remaining, reader.Remaining), maxData);
                    data = input.Slice(reader.Position, n);
                    reader.Advance(n);
                    _remaining -= n;
                    if (_remaining == 0)
                    {
                        _state = State.DataEnd;
                    }
                    consumed = reader.Position;
                    return ChunkedStatus.Data;
                }
                case State.DataEnd:
                {
                    if (reader.Remaining < 2)
                    {
                        if (reader.Remaining == 1 && !reader.IsNext((byte)'\r'))
                        {
                            rejection = RequestRejection.BadChunkTerminator;
                            return ChunkedStatus.Rejected;
                        }
                        return ChunkedStatus.NeedMoreData;
                    }
                    if (!reader.IsNext("\r\n"u8, advancePast: true))
                    {
                        rejection = RequestRejection.BadChunkTerminator;
                        return ChunkedStatus.Rejected;
                    }
                    _state = State.Size;
                    break;
                }
                case State.Trailers:
                {
                    if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
                    {
                        if (_trailerBytes + reader.Remaining > MaxTrailerBytes)
                        {
                            rejection = RequestRejection.TrailersTooLarge;
                            return ChunkedStatus.Rejected;
                        }
                        return ChunkedStatus.NeedMoreData;
                    }
                    _trailerBytes += (int)Math.Min(line.Length + 1, MaxTrailerBytes + 1);
                    if (_trailerBytes > MaxTrailerBytes)
                    {
                        rejection = RequestRejection.TrailersTooLarge;
                        return ChunkedStatus.Rejected;
                    }
                    if (line.IsEmpty || !EndsWithCr(line))
                    {
                        rejection = RequestRejection.BareLineFeed;
                        return ChunkedStatus.Rejected;
                    }
                    if (line.Length == 1)
                    {
                        _state = State.Done;
                    }
                    break;
                }
                default:
                    return ChunkedStatus.Done;
            }
        }
    }

    private static bool EndsWithCr(in ReadOnlySequence<byte> line) => line.Slice(line.Length - 1).FirstSpan[0] == '\r';

    /// <summary>Parses <c>1*HEXDIG [BWS ";" ext] CR</c> (the LF is already stripped).</summary>
    private static bool TryParseSizeLine(in ReadOnlySequence<byte> line, out long size)
    {
        size = 0;
        Span<byte> buffer = stackalloc byte[MaxLineLength];
        var length = (int)line.Length;
        line.CopyTo(buffer);
        var span = buffer[..length];
        if (span.IsEmpty || span[^1] != '\r')
        {
            return false;
        }
        span = span[..^1];
        var digits = 0;
        var i = 0;
        for (; i < span.Length; i++)
        {
            var v = HexValue(span[i]);
            if (v < 0)
            {
                break;
            }
            if (++digits > 15)
            {
                // More than 2^60 bytes: certainly an attack, and it would overflow below.
                return false;
            }
            size = (size << 4) | (uint)v;
        }
        if (digits == 0)
        {
            return false;
        }
        var rest = span[i..].TrimStart(" \t"u8);
        if (rest.IsEmpty)
        {
            return true;
        }
        if (rest[0] != ';')
        {
            return false;
        }
        foreach (var b in rest)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7f)
            {
                return false;
            }
        }
        return true;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
