namespace Pushpin.Connmgr.Server;

/// <summary>
/// What the timer wheel holds for a connection: a small handle the connection lets go of when it
/// ends, so entries still waiting in the wheel keep no finished connection (and its pipes) alive.
/// </summary>
internal sealed class ConnectionTimer(HttpConnection connection)
{
    private HttpConnection? _connection = connection;

    /// <summary>The connection, or null once it ended.</summary>
    public HttpConnection? Connection => Volatile.Read(ref _connection);

    public void Release() => Volatile.Write(ref _connection, null);
}
