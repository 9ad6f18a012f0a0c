namespace Pushpin.Common.Config;

/// <summary>How a known key's value is checked when a config is validated.</summary>
public enum KeyKind
{
    /// <summary>Any text.</summary>
    Text,

    /// <summary>A whole number.</summary>
    Int,

    /// <summary>true/false (also 1/0, yes/no, on/off).</summary>
    Bool,

    /// <summary>A TCP port, 1..65535.</summary>
    Port,

    /// <summary>Comma-separated list of <c>[addr:]port</c> listeners.</summary>
    ListenPorts,

    /// <summary>ZeroMQ specs of a socket our daemons open: tcp only, ipc refused.</summary>
    Sockets,

    /// <summary>Specs of sockets we never open (zurl, mongrel2, 1.36 names): accepted, not checked.</summary>
    UnusedSockets,

    /// <summary><c>N</c> or <c>N,service:N</c>.</summary>
    LogLevel,

    /// <summary>The runner's service list (both eras' names).</summary>
    Services,

    /// <summary>Accepted for compatibility and ignored.</summary>
    Obsolete,
}
