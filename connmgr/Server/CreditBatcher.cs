using System.Collections.Concurrent;
using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Server;

/// <summary>
/// Gathers the credits that sessions give back as their clients take bytes and sends them in
/// one go per responder: one multi-id credit packet for every session granted the same amount
/// (responders that speak <c>ext.multi</c>, as our handler and upstream's do), instead of a packet
/// per session per write.
/// </summary>
/// <remarks>
/// Under a fan-out every connection of a burst writes and gives credits back at about the same
/// time; one packet each meant a NetMQ send (three frames, each checking the socket's mailbox
/// with a system call) in connmgr and a decode in the responder, per delivery. The flush runs as
/// one thread-pool work item queued behind the connections already woken, so it usually finds the
/// whole burst. A session's own next packet (keep-alive, cancel, handoff) sends its pending
/// credits first, so seqs stay in order (<see cref="ServerSession.GrantCredits"/>).
/// </remarks>
internal sealed class CreditBatcher
{
    private const int MaxIds = 128;

    private readonly ConcurrentQueue<ServerSession> _pending = new();
    private readonly Dictionary<string, List<ServerSession>> _byTarget = new(StringComparer.Ordinal);
    private readonly Lock _flushLock = new();
    private readonly ZhttpRequester _requester;
    private readonly string _from;
    private int _scheduled;

    public CreditBatcher(ZhttpRequester requester, string from)
    {
        _requester = requester;
        _from = from;
    }

    /// <summary>Queues <paramref name="session"/>, whose pending credits went from none to some.</summary>
    public void Enqueue(ServerSession session)
    {
        _pending.Enqueue(session);
        if (Volatile.Read(ref _scheduled) == 0 && Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static b => b.Flush(), this, preferLocal: false);
        }
    }

    /// <summary>Sends every pending grant now.</summary>
    public void Flush()
    {
        lock (_flushLock)
        {
            // Cleared first: a session queued from here on is either taken below or schedules again.
            Interlocked.Exchange(ref _scheduled, 0);
            var now = Environment.TickCount64;
            while (_pending.TryDequeue(out var session))
            {
                if (!session.PeerMulti || session.Target is not { } target)
                {
                    session.SendPendingCredits(now);
                    continue;
                }
                if (!_byTarget.TryGetValue(target, out var list))
                {
                    list = [];
                    _byTarget[target] = list;
                }
                list.Add(session);
            }
            foreach (var (target, sessions) in _byTarget)
            {
                for (var i = 0; i < sessions.Count; i += MaxIds)
                {
                    ServerSession.SendBatchedCredits(_requester, _from, target, sessions.GetRange(i, Math.Min(MaxIds, sessions.Count - i)), now);
                }
                sessions.Clear();
            }
            // Responders come and go: forget the empty lists rather than keep one per responder ever seen.
            if (_byTarget.Count > 16)
            {
                _byTarget.Clear();
            }
        }
    }
}
