using System.Net;
using System.Net.Sockets;

namespace Pushpin.Connmgr.Client;

/// <summary>Which destinations <c>--deny-out-internal</c> refuses.</summary>
internal static class AddressPolicy
{
    /// <summary>Loopback, private (RFC 1918, ULA), link-local, unspecified, CGNAT and IPv4-mapped forms of those.</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address))
        {
            return true;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 10 || b[0] == 0 || b[0] == 127
                || (b[0] == 172 && (b[1] & 0xf0) == 16)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && (b[1] & 0xc0) == 64);
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal)
            {
                return true;
            }
        }
        return false;
    }
}
