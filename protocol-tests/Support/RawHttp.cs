using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pushpin.ProtocolTests.Support;

/// <summary>Raw-socket HTTP exchanges for tests where the exact bytes matter.</summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> and reads until the server closes or the timeout passes.</summary>
    public static async Task<string> ExchangeAsync(int port, string request, TimeSpan? timeout = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        var result = new MemoryStream();
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    break;
                }
                result.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            // Keep what arrived.
        }
        catch (IOException)
        {
            // Reset by peer after the response: keep what arrived.
        }
        return Encoding.Latin1.GetString(result.ToArray());
    }

    /// <summary>Status line, then headers sorted with Date/Server removed, then the body: comparable across servers.</summary>
    public static string Normalize(string response)
    {
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return response;
        }
        var lines = response[..split].Split("\r\n");
        var headers = lines.Skip(1)
            .Where(l => !l.StartsWith("Date:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("Server:", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.OrdinalIgnoreCase);
        return lines[0] + "\n" + string.Join("\n", headers) + "\n\n" + response[(split + 4)..];
    }
}
