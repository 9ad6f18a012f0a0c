using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Server;

/// <summary>
/// Session expiry and our keep-alives on a timer wheel: a tick touches only the sessions whose
/// keep-alive or expiry came due, not every session.
/// </summary>
/// <remarks>
/// Entries are lazy (a session that sent or received since re-arms when its entry fires). For
/// responders that speak <c>ext.multi</c>, sessions are kept in a group per responder; when one
/// of them is due, the group is visited once and every session at least half-way to its
/// keep-alive rides along in the same multi-id packets, so a responder's sessions fall into step
/// and a group is visited about once per keep-alive interval. Only the sweep thread calls
/// <see cref="Advance"/>; <see cref="Track"/> may be called from any thread.
/// </remarks>
internal sealed class SessionTimers
{
    private const int MaxIds = 128;

    private readonly TimerWheel<SessionTimer> _wheel;
    private readonly Dictionary<string, HashSet<SessionTimer>> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ServerSession>> _batches = new(StringComparer.Ordinal);
    private readonly List<(SessionTimer Owner, long Due)> _fired = [];
    private readonly ZhttpRequester _requester;
    private readonly string _from;
    private readonly long _keepAlive;
    private readonly long _expiry;
    private readonly long _retry;

    public SessionTimers(ServerOptions options, ZhttpRequester requester, long now)
    {
        _requester = requester;
        _from = options.InstanceId;
        _keepAlive = Math.Max(1, (long)options.KeepAliveInterval.TotalMilliseconds);
        _expiry = (long)options.SessionTimeout.TotalMilliseconds;
        // A session whose responder is still unknown at its keep-alive time looks again this much later.
        _retry = Math.Max(1, _keepAlive / 4);
        _wheel = new TimerWheel<SessionTimer>((long)options.SweepInterval.TotalMilliseconds, 4096, now);
    }

    private long _visited;

    /// <summary>Session entries visited by every <see cref="Advance"/> so far (what a sweep costs; for tests and benchmarks).</summary>
    public long Visited => Interlocked.Read(ref _visited);

    /// <summary>Puts a new session on the wheel; returns the handle to release when it ends.</summary>
    public SessionTimer Track(ServerSession session, long now)
    {
        var timer = new SessionTimer(session);
        // First look half-way: by then the responder is usually known and the session joins its
        // group, so it can ride along with the group's next batch.
        _wheel.Schedule(timer, now + Math.Min(_keepAlive / 2, _expiry + 1));
        return timer;
    }

    /// <summary>Expires the silent sessions that came due and sends the keep-alives that came due.</summary>
    public void Advance(long now)
    {
        _wheel.Advance(now, _fired);
        Interlocked.Add(ref _visited, _fired.Count);
        foreach (var (timer, _) in _fired)
        {
            Visit(timer, now);
        }
        Flush(now);
        // Re-arm after sending, so the deadlines see the keep-alives just sent.
        foreach (var (timer, _) in _fired)
        {
            if (!timer.Expired && timer.Session is { } session)
            {
                var keepAliveDue = Math.Max(session.LastSent + _keepAlive, now + (session.HasTarget ? 1 : _retry));
                _wheel.Schedule(timer, Math.Min(keepAliveDue, session.LastReceived + _expiry + 1));
            }
        }
        _fired.Clear();
    }

    private void Visit(SessionTimer timer, long now)
    {
        var session = timer.Session;
        if (session is null || timer.Expired)
        {
            Leave(timer);
            return;
        }
        if (now - session.LastReceived > _expiry)
        {
            timer.Expired = true;
            session.Inbox.TryWrite(ServerSession.Expired);
            Leave(timer);
            return;
        }
        if (!session.TryGetIdle(now, out var target, out var idle))
        {
            return;
        }
        if (!session.PeerMulti)
        {
            Leave(timer);
            session.KeepAliveIfDue(now, _keepAlive);
            return;
        }
        if (timer.Group != target)
        {
            Leave(timer);
            if (!_groups.TryGetValue(target, out var group))
            {
                group = [];
                _groups[target] = group;
            }
            group.Add(timer);
            timer.Group = target;
        }
        if (idle >= _keepAlive && !_batches.ContainsKey(target))
        {
            CollectGroup(target, now);
        }
    }

    /// <summary>Everyone in the responder's group at least half-way to a keep-alive joins the batch.</summary>
    private void CollectGroup(string target, long now)
    {
        var batch = new List<ServerSession>();
        _batches[target] = batch;
        var group = _groups[target];
        group.RemoveWhere(t => t.Session is null);
        foreach (var member in group)
        {
            if (member.Session is { } s && s.TryGetIdle(now, out var t, out var idle) && t == target && idle >= _keepAlive / 2)
            {
                batch.Add(s);
            }
        }
    }

    private void Leave(SessionTimer timer)
    {
        if (timer.Group is { } g && _groups.TryGetValue(g, out var group))
        {
            group.Remove(timer);
            if (group.Count == 0)
            {
                _groups.Remove(g);
            }
        }
        timer.Group = null;
    }

    private void Flush(long now)
    {
        foreach (var (target, sessions) in _batches)
        {
            for (var i = 0; i < sessions.Count; i += MaxIds)
            {
                var part = sessions.GetRange(i, Math.Min(MaxIds, sessions.Count - i));
                if (part.Count == 1)
                {
                    // One session: the scalar id form, as upstream encoders do.
                    part[0].KeepAliveIfDue(now, 0);
                }
                else
                {
                    ServerSession.SendBatchedKeepAlive(_requester, _from, target, part, now);
                }
            }
        }
        _batches.Clear();
    }
}
