using NetMQ;

namespace Pushpin.Common.Hosting;

/// <summary>Binds and connects NetMQ sockets so that a failure names the spec and the config key it came from.</summary>
public static class SocketBinding
{
    /// <summary>Binds <paramref name="socket"/> to <paramref name="spec"/>, or throws a <see cref="DaemonFatalException"/> naming the key.</summary>
    public static void Bind(NetMQSocket socket, string spec, string section, string key)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            socket.Bind(spec);
        }
        catch (AddressAlreadyInUseException e)
        {
            throw DaemonFatalException.CannotBind(spec, section, key, "address in use", e);
        }
        catch (NetMQException e)
        {
            throw DaemonFatalException.CannotBind(spec, section, key, e.Message, e);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw DaemonFatalException.CannotBind(spec, section, key, e.Message, e);
        }
    }

    /// <summary>Connects <paramref name="socket"/> to every spec (connecting sockets use them all, as upstream).</summary>
    public static void ConnectAll(NetMQSocket socket, IEnumerable<string> specs, string section, string key)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(specs);
        foreach (var spec in specs)
        {
            try
            {
                socket.Connect(spec);
            }
            catch (NetMQException e)
            {
                throw new DaemonFatalException($"cannot connect {spec} ([{section}] {key}): {e.Message}", e);
            }
        }
    }
}
