namespace Pushpin.Connmgr.Server;

/// <summary>
/// What the session timer wheel holds for a session: a small handle released when the session
/// ends, so entries still waiting in the wheel keep no finished session (and its inbox) alive.
/// </summary>
internal sealed class SessionTimer(ServerSession session)
{
    private ServerSession? _session = session;

    /// <summary>The session, or null once it ended.</summary>
    public ServerSession? Session => Volatile.Read(ref _session);

    /// <summary>The responder whose keep-alive group holds this handle (sweep thread only).</summary>
    public string? Group { get; set; }

    /// <summary>Set once the session was told it expired: it is not re-armed (sweep thread only).</summary>
    public bool Expired { get; set; }

    public void Release() => Volatile.Write(ref _session, null);
}
