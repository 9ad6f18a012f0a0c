using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pushpin.ProtocolTests.Connmgr.Client;

/// <summary>
/// A raw TCP backend whose every connection runs a script (the connection's index, its socket),
/// for behaviour Kestrel will not produce on demand: dropping a kept-alive connection, never
/// answering, close-delimited bodies.
/// </summary>
internal sealed class ScriptedBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accept;
    private int _accepted;

    public ScriptedBackend(Func<int, Socket, CancellationToken, Task> script)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptAsync(script);
    }

    public int Port { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Reads one request head (and no body); null when the peer closed first.</summary>
    public static async Task<string?> ReadHeadAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await socket.ReceiveAsync(one, ct) == 0)
            {
                return null;
            }
            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^1] == '\n' && buffer[^2] == '\r' && buffer[^3] == '\n' && buffer[^4] == '\r')
            {
                return Encoding.Latin1.GetString(buffer.ToArray());
            }
        }
    }

    public static Task SendAsync(Socket socket, string text, CancellationToken ct) =>
        socket.SendAsync(Encoding.Latin1.GetBytes(text), ct).AsTask();

    private async Task AcceptAsync(Func<int, Socket, CancellationToken, Task> script)
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var index = Interlocked.Increment(ref _accepted) - 1;
                lock (_connections)
                {
                    _connections.Add(RunAsync(script, index, socket));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task RunAsync(Func<int, Socket, CancellationToken, Task> script, int index, Socket socket)
    {
        using (socket)
        {
            try
            {
                await script(index, socket, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The test is over or the client left.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        Task[] running;
        lock (_connections)
        {
            running = [.. _connections];
        }
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
