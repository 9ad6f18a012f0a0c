namespace Pushpin.Connmgr.WebSockets;

/// <summary>Which end of the connection we are: decides the masking rules both ways.</summary>
internal enum WebSocketRole
{
    /// <summary>We accepted the connection: incoming frames must be masked, ours must not be.</summary>
    Server,

    /// <summary>We opened the connection (connmgr client mode): incoming frames must not be masked, ours must be.</summary>
    Client,
}
