using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pushpin.Connmgr.Transport;

/// <summary>
/// Moves bytes from a socket (or the TLS stream over it) into a <see cref="Pipe"/>. Waits with a
/// zero-byte receive before taking a buffer from the pool, so an idle connection holds no buffer
/// (YARP/Kestrel style; SslStream honours zero-byte reads too and frees its own buffer meanwhile).
/// </summary>
/// <remarks>Owning the receive loop (instead of a stream reader) means cancelling a pending pipe
/// read never touches the socket.</remarks>
internal sealed class SocketPipe
{
    private const int MinimumReceiveSize = 4096;

    private readonly Socket _socket;
    private readonly Stream? _tls;
    private readonly Pipe _pipe;

    /// <param name="socket">The connection.</param>
    /// <param name="tls">When set, bytes are read through it (decrypted) instead of from the socket.</param>
    /// <param name="options">From <see cref="CreateOptions"/>, shared by every connection of a server.</param>
    public SocketPipe(Socket socket, Stream? tls, PipeOptions options)
    {
        _socket = socket;
        _tls = tls;
        _pipe = new Pipe(options);
    }

    /// <summary>Pipe settings for connections that pause reading at <paramref name="pauseThreshold"/> unread bytes.</summary>
    public static PipeOptions CreateOptions(long pauseThreshold) =>
        // The reader (request parsing, the zhttp hand-off) runs on the thread that received the
        // bytes instead of being queued to the pool again: one thread-pool hop less per read. The
        // receive loop itself is a pool continuation, so nothing runs on the socket engine thread.
        new(readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: pauseThreshold, resumeWriterThreshold: pauseThreshold / 2, useSynchronizationContext: false);

    public PipeReader Reader => _pipe.Reader;

    /// <summary>Runs until the peer closes, the socket fails, or the reader completes.</summary>
    public async Task RunAsync()
    {
        var writer = _pipe.Writer;
        try
        {
            while (true)
            {
                await ReceiveAsync(Memory<byte>.Empty).ConfigureAwait(false);
                var memory = writer.GetMemory(MinimumReceiveSize);
                var n = await ReceiveAsync(memory).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                writer.Advance(n);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException)
        {
            // Reset or aborted: the reader sees the end of input.
        }
        catch (ObjectDisposedException)
        {
            // Closed by our side.
        }
        catch (IOException)
        {
            // TLS: the peer broke the record layer or reset the connection.
        }
        catch (InvalidOperationException)
        {
            // The connection completed the pipe while a receive was in flight.
        }
        await writer.CompleteAsync().ConfigureAwait(false);
    }

    private ValueTask<int> ReceiveAsync(Memory<byte> memory) =>
        _tls is null ? _socket.ReceiveAsync(memory, SocketFlags.None) : _tls.ReadAsync(memory);
}
