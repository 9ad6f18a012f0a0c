namespace Pushpin.Connmgr.Client;

/// <summary>
/// What the client-mode timer wheel holds for a session: a small handle released when the session
/// ends, so entries still waiting in the wheel keep no finished session (its connection, its
/// request packet) alive.
/// </summary>
internal sealed class ClientSessionTimer(ClientSession session)
{
    private ClientSession? _session = session;

    /// <summary>The session, or null once it ended.</summary>
    public ClientSession? Session => Volatile.Read(ref _session);

    public void Release() => Volatile.Write(ref _session, null);
}
