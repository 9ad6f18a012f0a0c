using NetMQ;

namespace Pushpin.Common.Transport;

/// <summary>Binds or connects a socket to its specs, naming the spec when a bind fails.</summary>
public static class ZmqEndpoints
{
    /// <summary>
    /// Binding uses only the first spec (as upstream); connecting uses all of them.
    /// </summary>
    public static void Attach(NetMQSocket socket, IReadOnlyList<string> specs, bool bind, string what)
    {
        if (specs.Count == 0)
        {
            throw new ArgumentException($"no endpoint given for {what}");
        }
        if (bind)
        {
            try
            {
                socket.Bind(specs[0]);
            }
            catch (NetMQException ex)
            {
                throw new SocketBindException($"cannot bind {specs[0]} ({what}): {ex.Message}", ex);
            }
            return;
        }
        foreach (var spec in specs)
        {
            socket.Connect(spec);
        }
    }
}

/// <summary>A socket could not be bound; the message names the spec and its purpose.</summary>
public sealed class SocketBindException : Exception
{
    public SocketBindException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public SocketBindException()
    {
    }

    public SocketBindException(string message)
        : base(message)
    {
    }
}
