using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pushpin.LoadGen;

/// <summary>
/// A minimal HTTP/1.1 client over one socket, cheap enough that the load tool is not the
/// bottleneck: keep-alive requests with Content-Length or chunked responses, and streaming
/// reads that hand each decoded body byte run to a callback.
/// </summary>
public sealed class ClientConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[16384];
    private int _start;
    private int _end;

    private ClientConnection(Socket socket)
    {
        _socket = socket;
    }

    public static async Task<ClientConnection> ConnectAsync(IPEndPoint target, IPAddress? source, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (source is not null)
        {
            socket.Bind(new IPEndPoint(source, 0));
        }
        try
        {
            await socket.ConnectAsync(target, ct).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new ClientConnection(socket);
    }

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> request, CancellationToken ct) => _socket.SendAsync(request, SocketFlags.None, ct);

    /// <summary>Reads one whole response; returns the status code and the body length.</summary>
    public async Task<(int Status, long BodyLength)> ReadResponseAsync(CancellationToken ct)
    {
        var (status, contentLength, chunked) = await ReadHeadAsync(ct).ConfigureAwait(false);
        long total = 0;
        await ReadBodyAsync(contentLength, chunked, span => total += span.Length, ct).ConfigureAwait(false);
        return (status, total);
    }

    /// <summary>Reads the response head; returns status, Content-Length (-1 if none) and whether it is chunked.</summary>
    public async Task<(int Status, long ContentLength, bool Chunked)> ReadHeadAsync(CancellationToken ct)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var endOfHead = span.IndexOf("\r\n\r\n"u8);
            if (endOfHead >= 0)
            {
                var head = Encoding.Latin1.GetString(span[..endOfHead]);
                _start += endOfHead + 4;
                var lines = head.Split("\r\n");
                var status = int.Parse(lines[0].AsSpan(9, 3), CultureInfo.InvariantCulture);
                long length = -1;
                var chunked = false;
                foreach (var line in lines.AsSpan(1))
                {
                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    {
                        length = long.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
                    }
                    else if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && line.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                    {
                        chunked = true;
                    }
                }
                return (status, length, chunked);
            }
            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads a body: Content-Length, chunked (until the last chunk) or close-delimited
    /// (until EOF), passing decoded bytes to <paramref name="onData"/> as they arrive.
    /// </summary>
    public async Task ReadBodyAsync(long contentLength, bool chunked, SpanAction onData, CancellationToken ct)
    {
        if (!chunked)
        {
            var remaining = contentLength < 0 ? long.MaxValue : contentLength;
            while (remaining > 0)
            {
                if (_start == _end && !await TryFillAsync(ct).ConfigureAwait(false))
                {
                    return;
                }
                var n = (int)Math.Min(remaining, _end - _start);
                onData(_buffer.AsSpan(_start, n));
                _start += n;
                remaining -= n;
            }
            return;
        }
        // Everything already received is decoded without awaiting; one receive per wake-up, so
        // a burst of small chunks costs the client one system call, not one per chunk.
        var decoder = new ChunkedBody();
        while (true)
        {
            var used = decoder.Decode(_buffer.AsSpan(_start, _end - _start), onData, out var done);
            _start += used;
            if (done)
            {
                return;
            }
            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    public delegate void SpanAction(ReadOnlySpan<byte> data);

    private async Task FillAsync(CancellationToken ct)
    {
        if (!await TryFillAsync(ct).ConfigureAwait(false))
        {
            throw new IOException("connection closed");
        }
    }

    private async Task<bool> TryFillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            throw new IOException("response line too long");
        }
        var n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct).ConfigureAwait(false);
        _end += n;
        return n > 0;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A GET request for <paramref name="path"/> with keep-alive.</summary>
    public static byte[] Get(string path, string host = "localhost") =>
        Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: pushpin-loadgen\r\n\r\n");

    internal static ArrayPool<byte> Pool => ArrayPool<byte>.Shared;
}
