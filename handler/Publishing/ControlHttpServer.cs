using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Pushpin.Handler.Http;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// The HTTP control API listener (<c>push_in_http_addr:push_in_http_port</c>): one request per
/// connection, answered with <c>Connection: close</c>, as upstream's SimpleHttpServer.
/// </summary>
/// <remarks>
/// Its own small server rather than Kestrel: clients and tests depend on the exact bytes
/// (no Date/Server headers, upstream's error texts for framing errors such as
/// <c>Request body exceeded Content-Length.</c>), and the traffic is tiny.
/// </remarks>
internal sealed partial class ControlHttpServer : IAsyncDisposable
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private readonly TcpListener _listener;
    private readonly int _maxHeadersSize;
    private readonly int _maxBodySize;
    private readonly Func<ControlHttpRequest, ControlHttpResponse> _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _acceptLoop;

    public ControlHttpServer(IPAddress address, int port, int maxHeadersSize, int maxBodySize, Func<ControlHttpRequest, ControlHttpResponse> handler, ILogger logger)
    {
        _listener = new TcpListener(address, port);
        _maxHeadersSize = maxHeadersSize;
        _maxBodySize = maxBodySize;
        _handler = handler;
        _logger = logger;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Binds and starts accepting; throws <see cref="SocketException"/> when the port is taken.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            try
            {
                await _acceptLoop;
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                Log.AcceptFailed(_logger, ex.Message);
                continue;
            }
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(IdleTimeout);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(_maxHeadersSize, 4096));
        try
        {
            var response = await ReadAndHandleAsync(socket, buffer, timeout.Token);
            if (response is null)
            {
                return;
            }
            // Reply once the engine has delivered the items, as upstream (its single loop publishes
            // before the reply leaves): a publisher's next publish comes after this one, and
            // publishers cannot run ahead of delivery into an ever longer queue.
            if (response.Value.Response.After is { } after)
            {
                await after().WaitAsync(timeout.Token);
            }
            await socket.SendAsync(Serialize(response.Value.Response, response.Value.Http10), SocketFlags.None, timeout.Token);
            try
            {
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // Peer already gone.
            }
            await DrainAsync(socket, buffer);
        }
        catch (OperationCanceledException)
        {
            // Idle client or shutdown.
        }
        catch (SocketException ex)
        {
            Log.ConnectionError(_logger, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Bad input never kills the process.
            Log.RequestFailed(_logger, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Reads whatever the client still sends (briefly) so closing does not reset the connection
    // before the client has read the response (an error reply may leave request bytes unread).
    private static async Task DrainAsync(Socket socket, byte[] buffer)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
    }

    private async Task<(ControlHttpResponse Response, bool Http10)?> ReadAndHandleAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        // Header: read until a blank line, at most maxHeadersSize bytes.
        var filled = 0;
        int headerEnd, bodyStart;
        while (true)
        {
            var limit = Math.Min(buffer.Length, _maxHeadersSize);
            if (filled >= limit)
            {
                return (Error(400, "Bad Request", "Request header too large."), false);
            }
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled, limit - filled), SocketFlags.None, ct);
            if (n == 0)
            {
                return null;
            }
            filled += n;
            if (FindHeaderEnd(buffer.AsSpan(0, filled), out headerEnd, out bodyStart))
            {
                break;
            }
        }

        if (!TryParseHead(buffer.AsSpan(0, headerEnd), out var method, out var uri, out var http10, out var headers))
        {
            return (Error(400, "Bad Request", "Failed to parse request header."), false);
        }

        var assumesBody = method is not ("HEAD" or "GET" or "DELETE" or "OPTIONS");
        var contentLengthText = headers.Get("Content-Length");
        if (contentLengthText is null && (headers.Contains("Transfer-Encoding") || assumesBody))
        {
            return (Error(411, "Length Required", "Request requires Content-Length."), http10);
        }

        byte[] body = [];
        if (contentLengthText is not null)
        {
            if (!int.TryParse(contentLengthText.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var contentLength))
            {
                return (Error(400, "Bad Request", "Bad Content-Length."), http10);
            }
            if (contentLength > _maxBodySize)
            {
                return (Error(400, "Bad Request", "Request body too large."), http10);
            }
            if (headers.Get("Expect") == "100-continue")
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes(http10 ? "HTTP/1.0 100 Continue\r\n\r\n" : "HTTP/1.1 100 Continue\r\n\r\n"), SocketFlags.None, ct);
            }

            var received = filled - bodyStart;
            var bodyBuffer = new byte[Math.Max(contentLength, 0) + 1];
            var copy = Math.Min(received, bodyBuffer.Length);
            buffer.AsSpan(bodyStart, copy).CopyTo(bodyBuffer);
            var total = received;
            while (total < contentLength)
            {
                var n = await socket.ReceiveAsync(bodyBuffer.AsMemory(total), SocketFlags.None, ct);
                if (n == 0)
                {
                    return null;
                }
                total += n;
            }
            if (total > contentLength)
            {
                return (Error(400, "Bad Request", "Request body exceeded Content-Length."), http10);
            }
            body = bodyBuffer[..contentLength];
        }

        var request = new ControlHttpRequest { Method = method, Uri = uri, Headers = headers, Body = body };
        var response = _handler(request);
        Log.Request(_logger, method, uri, response.Code, response.Body.Length);
        return (response, http10);
    }

    private static ControlHttpResponse Error(int code, string reason, string message) => new(code, reason, message + "\n");

    // Upstream accepts "\n\n" or "\n\r\n" as the end of the header block.
    private static bool FindHeaderEnd(ReadOnlySpan<byte> data, out int headerEnd, out int bodyStart)
    {
        for (var n = 0; n < data.Length; ++n)
        {
            if (data[n] != '\n')
            {
                continue;
            }
            if (n + 1 < data.Length && data[n + 1] == '\n')
            {
                headerEnd = n + 1;
                bodyStart = n + 2;
                return true;
            }
            if (n + 2 < data.Length && data[n + 1] == '\r' && data[n + 2] == '\n')
            {
                headerEnd = n + 1;
                bodyStart = n + 3;
                return true;
            }
        }
        headerEnd = bodyStart = 0;
        return false;
    }

    private static bool TryParseHead(ReadOnlySpan<byte> head, out string method, out string uri, out bool http10, out HeaderList headers)
    {
        method = uri = string.Empty;
        http10 = false;
        headers = [];
        var text = Latin1.FromBytes(head);
        var lines = text.Split('\n');
        var first = true;
        foreach (var rawLine in lines)
        {
            var line = rawLine.EndsWith('\r') ? rawLine[..^1] : rawLine;
            if (first)
            {
                first = false;
                var sp = line.IndexOf(' ', StringComparison.Ordinal);
                if (sp <= 0)
                {
                    return false;
                }
                method = line[..sp];
                var sp2 = line.IndexOf(' ', sp + 1);
                if (sp2 == -1)
                {
                    return false;
                }
                uri = line[(sp + 1)..sp2];
                http10 = line[(sp2 + 1)..] == "HTTP/1.0";
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon == -1)
            {
                continue;
            }
            var at = colon + 1;
            if (at < line.Length && line[at] == ' ')
            {
                ++at;
            }
            headers.Add(line[..colon], line[at..]);
        }
        return !first;
    }

    private static byte[] Serialize(ControlHttpResponse response, bool http10)
    {
        var sb = new StringBuilder(256);
        sb.Append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
            .Append(response.Code.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(response.Reason).Append("\r\n");
        foreach (var h in response.Headers)
        {
            if (h.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                || h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            sb.Append(h.Key).Append(": ").Append(h.Value).Append("\r\n");
        }
        sb.Append("Connection: close\r\n");
        sb.Append("Content-Length: ").Append(response.Body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        var head = Latin1.ToBytes(sb.ToString());
        var output = new byte[head.Length + response.Body.Length];
        head.CopyTo(output, 0);
        response.Body.CopyTo(output, head.Length);
        return output;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "control: {Method} {Uri} code={Code} {Size}")]
        public static partial void Request(ILogger logger, string method, string uri, int code, int size);

        [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "control http connection error: {Message}")]
        public static partial void ConnectionError(ILogger logger, string message);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "control http request failed")]
        public static partial void RequestFailed(ILogger logger, Exception ex);

        [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "control http accept failed: {Message}")]
        public static partial void AcceptFailed(ILogger logger, string message);
    }
}
