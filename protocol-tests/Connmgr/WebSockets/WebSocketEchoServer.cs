using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

/// <summary>
/// A one-connection echo server built only from connmgr's WebSocket pieces, so a real client
/// (.NET's ClientWebSocket) can check them end to end over a real socket.
/// </summary>
internal sealed class WebSocketEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public WebSocketEchoServer(long maxMessageSize = 1 << 20)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _run = Task.Run(() => RunAsync(maxMessageSize, _stop.Token));
    }

    public int Port { get; }

    /// <summary>The protocol error the server closed with, if any.</summary>
    public WebSocketError? Error { get; private set; }

    public string? NegotiatedExtensions { get; private set; }

    /// <summary>Completes when the connection is over; rethrows a server crash (which would be a bug).</summary>
    public Task Completion => _run;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync(long maxMessageSize, CancellationToken ct)
    {
        using var tcp = await _listener.AcceptTcpClientAsync(ct);
        await using var stream = tcp.GetStream();
        var reader = PipeReader.Create(stream);
        var (method, version, headers) = await ReadRequestHeadAsync(reader, ct);
        var handshake = WebSocketHandshake.Validate(method, version, headers);
        if (!handshake.IsValid)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {handshake.Status} {handshake.Reason}\r\nContent-Length: 0\r\n\r\n"), ct);
            return;
        }

        var deflate = PerMessageDeflateNegotiator.Negotiate(headers.Where(h => h.Is("Sec-WebSocket-Extensions")).Select(h => h.Value));
        NegotiatedExtensions = deflate?.ToResponseHeader();
        var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Accept: {handshake.Accept}\r\n"
            + (deflate is null ? string.Empty : $"Sec-WebSocket-Extensions: {NegotiatedExtensions}\r\n")
            + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), ct);

        using var receiver = new WebSocketReceiver(WebSocketRole.Server, deflate, maxMessageSize);
        using var sender = new WebSocketSender(WebSocketRole.Server, deflate);
        var message = new ArrayBufferWriter<byte>();
        var output = new ArrayBufferWriter<byte>();
        var opcode = WebSocketOpcode.Text;
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            var buffer = read.Buffer;
            var done = false;
            while (!done)
            {
                var status = receiver.TryReceive(buffer, message, out var received, out var consumed, out var error);
                if (status == WebSocketParseStatus.NeedMoreData)
                {
                    break;
                }

                if (status == WebSocketParseStatus.Error)
                {
                    Error = error;
                    sender.WriteClose(output, error.CloseCode, error.Reason);
                    done = true;
                    break;
                }

                buffer = buffer.Slice(consumed);
                switch (received.Opcode)
                {
                    case WebSocketOpcode.Text or WebSocketOpcode.Binary:
                        opcode = received.IsFirst ? received.Opcode : opcode;
                        if (received.IsFinal)
                        {
                            sender.WriteMessage(output, opcode, message.WrittenSpan);
                            message.ResetWrittenCount();
                        }

                        break;
                    case WebSocketOpcode.Ping:
                        sender.WriteControl(output, WebSocketOpcode.Pong, received.ControlPayload.Span);
                        break;
                    case WebSocketOpcode.Close:
                        sender.WriteClose(output, received.CloseCode, received.CloseReason);
                        done = true;
                        break;
                }
            }

            if (output.WrittenCount > 0)
            {
                await stream.WriteAsync(output.WrittenMemory, ct);
                output.ResetWrittenCount();
            }

            if (done || read.IsCompleted)
            {
                return;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task<(string Method, string Version, List<HttpHeader> Headers)> ReadRequestHeadAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            var text = Encoding.Latin1.GetString(read.Buffer);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                reader.AdvanceTo(read.Buffer.GetPosition(end + 4));
                var lines = text[..end].Split("\r\n");
                var parts = lines[0].Split(' ');
                var headers = lines.Skip(1)
                    .Select(l => new HttpHeader(l[..l.IndexOf(':', StringComparison.Ordinal)], l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
                    .ToList();
                return (parts[0], parts[2], headers);
            }

            if (read.IsCompleted)
            {
                throw new IOException("connection closed before the request head ended");
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
