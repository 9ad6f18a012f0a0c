using System.Buffers;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>
/// The incoming half of one WebSocket connection: frame parsing plus every cross-frame rule
/// (fragmentation, size limits, UTF-8, close payloads, permessage-deflate), one frame per call.
/// </summary>
/// <remarks>
/// Fragments are handed out as they arrive rather than reassembled, because zhttp carries them
/// as packets with <c>more</c> and credits bound what is in flight. Any error means: send a close
/// frame with <see cref="WebSocketError.CloseCode"/> and stop reading. Not thread-safe.
/// </remarks>
internal sealed class WebSocketReceiver : IDisposable
{
    private readonly WebSocketRole _role;
    private readonly long _maxFrameSize;
    private readonly long _maxMessageSize;
    private readonly WebSocketMessageTracker _tracker;
    private readonly PerMessageDeflateDecompressor? _inflater;
    private readonly ArrayBufferWriter<byte>? _inflated;
    private readonly byte[] _control = new byte[WebSocketFrameParser.MaxControlPayload];
    private bool _closed;

    /// <param name="role">Our role (server: frames must be masked).</param>
    /// <param name="deflate">Negotiated permessage-deflate, or null.</param>
    /// <param name="maxMessageSize">Largest message (after inflation); bigger → 1009.</param>
    /// <param name="maxFrameSize">Largest single frame payload (defaults to <paramref name="maxMessageSize"/>); a
    /// frame must fit in the input buffer whole, so this bounds what one connection may hold.</param>
    public WebSocketReceiver(WebSocketRole role, PerMessageDeflateParameters? deflate, long maxMessageSize, long maxFrameSize = 0)
    {
        _role = role;
        _maxMessageSize = maxMessageSize;
        _maxFrameSize = maxFrameSize > 0 ? Math.Min(maxFrameSize, maxMessageSize) : maxMessageSize;
        _tracker = new WebSocketMessageTracker(maxMessageSize);
        if (deflate is not null)
        {
            // Our peer is the other end: as server we inflate what the client compressed.
            var peerNoTakeover = role == WebSocketRole.Server ? deflate.ClientNoContextTakeover : deflate.ServerNoContextTakeover;
            _inflater = new PerMessageDeflateDecompressor(peerNoTakeover);
            _inflated = new ArrayBufferWriter<byte>();
        }
    }

    /// <summary>True once a close frame was received; later bytes are not frames of this connection.</summary>
    public bool CloseReceived => _closed;

    /// <summary>Reads one frame; a data frame's (unmasked, inflated) payload goes to <paramref name="payload"/>.</summary>
    /// <remarks>Control frame payloads do not touch <paramref name="payload"/>: see <see cref="WebSocketReceived.ControlPayload"/>.</remarks>
    public WebSocketParseStatus TryReceive(
        in ReadOnlySequence<byte> input,
        IBufferWriter<byte> payload,
        out WebSocketReceived received,
        out SequencePosition consumed,
        out WebSocketError error)
    {
        ArgumentNullException.ThrowIfNull(payload);
        received = default;
        var allowedRsv = _inflater is null ? (byte)0 : (byte)0x4;
        var status = WebSocketFrameParser.TryParse(input, _role, allowedRsv, _maxFrameSize, out var frame, out consumed, out error);
        if (status != WebSocketParseStatus.Done)
        {
            return status;
        }

        if (frame.IsControl)
        {
            return ReceiveControl(frame, out received, out error);
        }

        if (!_tracker.TryBeginFrame(frame, out var isFirst, out error))
        {
            return WebSocketParseStatus.Error;
        }

        var opcode = _tracker.MessageOpcode;
        var isText = opcode == WebSocketOpcode.Text;
        int length;
        if (_tracker.MessageCompressed && _inflater is not null)
        {
            var compressed = ArrayPool<byte>.Shared.Rent(Math.Max(1, frame.PayloadLength));
            try
            {
                frame.CopyPayloadTo(compressed);
                _inflated!.ResetWrittenCount();
                if (!_inflater.TryDecompress(compressed.AsSpan(0, frame.PayloadLength), frame.Fin, _inflated, _maxMessageSize, out var produced, out error)
                    || !_tracker.TryCountInflated(produced, out error))
                {
                    return WebSocketParseStatus.Error;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(compressed);
            }

            var inflated = _inflated.WrittenSpan;
            if (isText && !_tracker.TryAppendText(inflated, frame.Fin, out error))
            {
                return WebSocketParseStatus.Error;
            }

            payload.Write(inflated);
            length = inflated.Length;
        }
        else
        {
            length = frame.PayloadLength;
            var span = payload.GetSpan(Math.Max(1, length))[..length];
            frame.CopyPayloadTo(span);
            if (isText && !_tracker.TryAppendText(span, frame.Fin, out error))
            {
                return WebSocketParseStatus.Error;
            }

            payload.Advance(length);
        }

        received = new WebSocketReceived(opcode, isFirst, frame.Fin, length, 0, string.Empty);
        return WebSocketParseStatus.Done;
    }

    public void Dispose() => _inflater?.Dispose();

    private WebSocketParseStatus ReceiveControl(in WebSocketFrame frame, out WebSocketReceived received, out WebSocketError error)
    {
        received = default;
        error = default;
        var body = _control.AsMemory(0, frame.PayloadLength);
        frame.CopyPayloadTo(body.Span);
        if (frame.Opcode == WebSocketOpcode.Close)
        {
            if (!WebSocketClosePayload.TryParse(body.Span, out var code, out var reason, out error))
            {
                return WebSocketParseStatus.Error;
            }

            _closed = true;
            var reasonBytes = body.Length > 2 ? body[2..] : ReadOnlyMemory<byte>.Empty;
            received = new WebSocketReceived(WebSocketOpcode.Close, true, true, reasonBytes.Length, code, reason, reasonBytes);
            return WebSocketParseStatus.Done;
        }

        received = new WebSocketReceived(frame.Opcode, true, true, body.Length, 0, string.Empty, body);
        return WebSocketParseStatus.Done;
    }
}
