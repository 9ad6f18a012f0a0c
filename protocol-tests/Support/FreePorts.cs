using System.Net;
using System.Net.Sockets;

namespace Pushpin.ProtocolTests.Support;

/// <summary>Picks loopback TCP ports that are free right now.</summary>
public static class FreePorts
{
    /// <summary>One free port.</summary>
    public static int One()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A run of <paramref name="count"/> consecutive free ports (for tcp spec bases, which use N, N+1, N+2).</summary>
    public static int Block(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = Random.Shared.Next(20000, 32000);
            var listeners = new List<TcpListener>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var l = new TcpListener(IPAddress.Loopback, first + i);
                    l.Start();
                    listeners.Add(l);
                }
                return first;
            }
            catch (SocketException)
            {
                // Taken; try another base.
            }
            finally
            {
                foreach (var l in listeners)
                {
                    l.Stop();
                }
            }
        }
        throw new InvalidOperationException($"no run of {count} free ports found");
    }
}
