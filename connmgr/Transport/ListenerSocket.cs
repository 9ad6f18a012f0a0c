using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Pushpin.Connmgr.Transport;

/// <summary>Binds the listening socket for one <see cref="ListenSpec"/> (TCP v4/v6 or unix).</summary>
internal static partial class ListenerSocket
{
    private const int Backlog = 512;

    /// <summary>Binds and listens; throws <see cref="InvalidOperationException"/> naming the address and the reason.</summary>
    public static Socket Open(ListenSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.UnixPath is { } path ? OpenUnix(spec, path) : OpenTcp(spec.EndPoint!);
    }

    /// <summary>Removes the socket file of a unix listener (on shutdown).</summary>
    public static void Cleanup(ListenSpec spec)
    {
        if (spec.UnixPath is { } path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Someone else's now, or gone.
            }
        }
    }

    private static Socket OpenTcp(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // [::] serves IPv4 too (mapped), as a dual-stack listener; [::1] only IPv6.
                socket.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any);
            }
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new InvalidOperationException($"cannot listen on {endPoint}: {ex.Message}", ex);
        }
    }

    private static Socket OpenUnix(ListenSpec spec, string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // A stale file from an earlier run would make bind fail (as upstream, replace it).
            if (File.Exists(path))
            {
                File.Delete(path);
            }
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(Backlog);
            if (spec.Mode is { } mode && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, mode);
            }
            if (spec.User is not null || spec.Group is not null)
            {
                var uid = spec.User is null ? uint.MaxValue : ResolveId(spec.User, user: true);
                var gid = spec.Group is null ? uint.MaxValue : ResolveId(spec.Group, user: false);
                if (Chown(path, uid, gid) != 0)
                {
                    throw new IOException($"chown failed (errno {Marshal.GetLastPInvokeError().ToString(CultureInfo.InvariantCulture)})");
                }
            }
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            socket.Dispose();
            throw new InvalidOperationException($"cannot listen on unix:{path}: {ex.Message}", ex);
        }
    }

    /// <summary>A numeric id, or a user/group name looked up through the system (getpwnam/getgrnam, so NSS sources count).</summary>
    private static uint ResolveId(string name, bool user)
    {
        if (uint.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric))
        {
            return numeric;
        }
        var entry = user ? GetPwNam(name) : GetGrNam(name);
        if (entry == IntPtr.Zero)
        {
            throw new IOException($"no such {(user ? "user" : "group")} '{name}'");
        }
        // struct passwd and struct group both start with two char* (name, password), then the id.
        return (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    [DllImport("libc", EntryPoint = "chown", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "getpwnam", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr GetPwNam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", EntryPoint = "getgrnam", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr GetGrNam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
