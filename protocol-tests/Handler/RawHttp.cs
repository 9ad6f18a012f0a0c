using System.Net.Sockets;
using System.Text;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>Sends raw bytes to a TCP port and reads until the server closes.</summary>
internal static class RawHttp
{
    public static async Task<string> SendAsync(int port, string request, CancellationToken ct = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), ct);
        using var ms = new MemoryStream();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await stream.CopyToAsync(ms, timeout.Token);
        return Encoding.Latin1.GetString(ms.ToArray());
    }

    public static string Post(string path, string body, string extraHeaders = "") =>
        $"POST {path} HTTP/1.1\r\nHost: x\r\n{extraHeaders}Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    public static string Expected(string status, string body, string extraHeaders = "", string contentType = "text/plain") =>
        $"HTTP/1.1 {status}\r\n{extraHeaders}Content-Type: {contentType}\r\nConnection: close\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
}
