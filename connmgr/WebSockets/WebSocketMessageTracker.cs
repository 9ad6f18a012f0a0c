namespace Pushpin.Connmgr.WebSockets;

/// <summary>The rules that span frames of one connection's incoming data messages.</summary>
/// <remarks>
/// Continuation only inside a message, no new message before the last one ended, a cap on the
/// message size, and UTF-8 validity of text messages across fragments. Control frames may sit
/// between fragments and do not touch this state. With permessage-deflate the caller feeds
/// <see cref="TryAppendText"/> the decompressed bytes.
/// </remarks>
internal sealed class WebSocketMessageTracker
{
    private readonly long _maxMessageSize;
    private Utf8StreamValidator _utf8;
    private long _size;

    public WebSocketMessageTracker(long maxMessageSize)
    {
        _maxMessageSize = maxMessageSize;
    }

    /// <summary>True between the first and last frame of a fragmented message.</summary>
    public bool InMessage { get; private set; }

    /// <summary>The opcode of the message in progress (text or binary).</summary>
    public WebSocketOpcode MessageOpcode { get; private set; }

    /// <summary>Whether the message in progress is compressed (RSV1 on its first frame).</summary>
    public bool MessageCompressed { get; private set; }

    /// <summary>Admits a data frame (text, binary or continuation) and updates the fragment state.</summary>
    /// <param name="isFirst">True when the frame starts a message.</param>
    public bool TryBeginFrame(in WebSocketFrame frame, out bool isFirst, out WebSocketError error)
    {
        error = default;
        isFirst = false;
        if (frame.Opcode == WebSocketOpcode.Continuation)
        {
            if (!InMessage)
            {
                error = WebSocketError.Protocol("continuation frame without a message in progress");
                return false;
            }
        }
        else
        {
            if (InMessage)
            {
                error = WebSocketError.Protocol("new data frame before the previous message ended");
                return false;
            }

            isFirst = true;
            InMessage = true;
            MessageOpcode = frame.Opcode;
            MessageCompressed = frame.Rsv1;
            _size = 0;
            _utf8.Reset();
        }

        // Compressed messages are counted after inflation (TryCountInflated) instead.
        if (!MessageCompressed && (_size += frame.PayloadLength) > _maxMessageSize)
        {
            error = WebSocketError.TooBig($"message exceeds the limit of {_maxMessageSize} bytes");
            return false;
        }

        if (frame.Fin)
        {
            InMessage = false;
        }

        return true;
    }

    /// <summary>Checks the next piece of a text message's (decompressed) payload.</summary>
    /// <param name="final">True for the last piece of the message: no character may be left open.</param>
    public bool TryAppendText(ReadOnlySpan<byte> payload, bool final, out WebSocketError error)
    {
        error = default;
        if (!_utf8.Append(payload) || (final && !_utf8.IsComplete))
        {
            error = WebSocketError.InvalidPayload("text message is not valid UTF-8");
            return false;
        }

        return true;
    }

    /// <summary>Counts decompressed bytes against the size limit (compressed messages only).</summary>
    public bool TryCountInflated(long inflatedBytes, out WebSocketError error)
    {
        error = default;
        _size += inflatedBytes;
        if (_size > _maxMessageSize)
        {
            error = WebSocketError.TooBig($"message exceeds the limit of {_maxMessageSize} bytes");
            return false;
        }

        return true;
    }
}
