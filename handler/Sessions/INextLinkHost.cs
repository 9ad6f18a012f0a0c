namespace Pushpin.Handler.Sessions;

/// <summary>What a session needs from the engine to follow next links (the engine implements it).</summary>
internal interface INextLinkHost
{
    /// <summary>Null when the handler has no intreq sockets configured.</summary>
    IOutboundSender? Outbound { get; }

    /// <summary>A fresh outbound request id (unique within this handler).</summary>
    string NewRequestId();

    /// <summary>Registers an outbound request id so its replies reach <paramref name="session"/>.</summary>
    void Track(string requestId, HttpSession session);

    /// <summary>Forgets an outbound request id.</summary>
    void Untrack(string requestId);

    /// <summary>
    /// The session switches to a new instruct (a next-link response): the engine moves its
    /// subscriptions while <paramref name="apply"/> replaces the channels and hold mode.
    /// </summary>
    void Resubscribe(HttpSession session, Action apply);

    /// <summary><c>connection_subscription_max</c>: channels of a next-link instruct beyond it are dropped.</summary>
    int SubscriptionMax { get; }

    /// <summary>The session holds with a next link that has <c>timeout=N</c> (or just got a message on every channel).</summary>
    void ArmLinkTimeout(HttpSession session, int seconds, string uri);

    /// <summary>The session's next-link timer is off (updating, backed up, ended).</summary>
    void DisarmLinkTimeout(HttpSession session);
}
