using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pushpin.Connmgr.Client;

/// <summary>
/// One outbound connection: the socket, the stream over it (TLS or not) and the reader that
/// buffers its input. The reader lives as long as the connection because a keep-alive
/// response may leave nothing behind, but the next one is read from the same buffer.
/// </summary>
internal sealed class BackendConnection : IAsyncDisposable
{
    public BackendConnection(PoolKey key, Socket socket, Stream stream, int bufferSize)
    {
        Key = key;
        Socket = socket;
        Stream = stream;
        // Zero-byte reads: an idle (pooled) connection holds no rented buffer.
        Reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: Math.Max(4096, bufferSize), leaveOpen: true, useZeroByteReads: true));
    }

    public PoolKey Key { get; }

    public Socket Socket { get; }

    public Stream Stream { get; }

    public PipeReader Reader { get; }

    /// <summary>Taken from the pool rather than freshly connected.</summary>
    public bool Reused { get; set; }

    /// <summary>When it went back to the pool (<see cref="Environment.TickCount64"/>).</summary>
    public long IdleSince { get; set; }

    /// <summary>Requests this connection carried; for the log and the tests.</summary>
    public int Uses { get; set; }

    /// <summary>
    /// Whether an idle connection can carry another request: the peer has not closed it and
    /// sent nothing unasked (either makes the socket readable), and no input is buffered.
    /// </summary>
    public bool LooksReusable()
    {
        try
        {
            if (Reader.TryRead(out var leftover))
            {
                var any = leftover.Buffer.Length > 0 || leftover.IsCompleted;
                Reader.AdvanceTo(leftover.Buffer.Start);
                if (any)
                {
                    return false;
                }
            }
            return Socket.Connected && !Socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Reader.CompleteAsync().ConfigureAwait(false);
            await Stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // Closing a broken connection.
        }
        Socket.Dispose();
    }
}
