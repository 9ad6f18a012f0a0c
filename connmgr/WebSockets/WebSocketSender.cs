using System.Buffers;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>The outgoing half of one WebSocket connection: compression (when negotiated) and framing.</summary>
/// <remarks>Not thread-safe: the connection's writer owns it.</remarks>
internal sealed class WebSocketSender : IDisposable
{
    private readonly WebSocketRole _role;
    private readonly PerMessageDeflateCompressor? _deflater;
    private readonly ArrayBufferWriter<byte>? _compressed;

    public WebSocketSender(WebSocketRole role, PerMessageDeflateParameters? deflate)
    {
        _role = role;
        if (deflate is not null)
        {
            var ourNoTakeover = role == WebSocketRole.Server ? deflate.ServerNoContextTakeover : deflate.ClientNoContextTakeover;
            _deflater = new PerMessageDeflateCompressor(ourNoTakeover);
            _compressed = new ArrayBufferWriter<byte>();
        }
    }

    /// <summary>Writes a whole text or binary message (compressed if negotiated, split at 16 KiB).</summary>
    public void WriteMessage(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> message)
    {
        if (_deflater is not null)
        {
            _compressed!.ResetWrittenCount();
            _deflater.Compress(message, _compressed);
            WebSocketFrameWriter.WriteMessage(output, opcode, _compressed.WrittenSpan, _role, compressed: true);
            return;
        }

        WebSocketFrameWriter.WriteMessage(output, opcode, message, _role);
    }

    /// <summary>Writes a ping or pong (payload cut to 125 bytes, the control frame limit).</summary>
    public void WriteControl(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var body = payload.Length > WebSocketFrameParser.MaxControlPayload ? payload[..WebSocketFrameParser.MaxControlPayload] : payload;
        WebSocketFrameWriter.WriteFrame(output, opcode, true, false, body, _role == WebSocketRole.Client ? WebSocketMask.NewKey() : null);
    }

    public void WriteClose(IBufferWriter<byte> output, int code, string? reason) =>
        WebSocketFrameWriter.WriteClose(output, code, reason, _role);

    public void Dispose() => _deflater?.Dispose();
}
