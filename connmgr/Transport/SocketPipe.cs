using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pushpin.Connmgr.Transport;

/// <summary>
/// Moves bytes from a socket into a <see cref="Pipe"/>. Waits with a zero-byte receive before
/// taking a buffer from the pool, so an idle connection holds no buffer (YARP/Kestrel style).
/// </summary>
/// <remarks>Owning the receive loop (instead of a stream reader) means cancelling a pending pipe
/// read never touches the socket.</remarks>
internal sealed class SocketPipe
{
    private const int MinimumReceiveSize = 4096;

    private readonly Socket _socket;
    private readonly Pipe _pipe;

    public SocketPipe(Socket socket, long pauseThreshold)
    {
        _socket = socket;
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: pauseThreshold, resumeWriterThreshold: pauseThreshold / 2, useSynchronizationContext: false));
    }

    public PipeReader Reader => _pipe.Reader;

    /// <summary>Runs until the peer closes, the socket fails, or the reader completes.</summary>
    public async Task RunAsync()
    {
        var writer = _pipe.Writer;
        try
        {
            while (true)
            {
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                var memory = writer.GetMemory(MinimumReceiveSize);
                var n = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
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
        catch (InvalidOperationException)
        {
            // The connection completed the pipe while a receive was in flight.
        }
        await writer.CompleteAsync().ConfigureAwait(false);
    }
}
