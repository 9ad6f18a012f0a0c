namespace Pushpin.Handler.Sessions;

/// <summary>
/// <c>timeout=N</c> on a stream hold's next link (behavior.md §3.7, upstream's
/// HttpSessionUpdateManager): sessions with the same N and link (query ignored) share one timer.
/// When it fires, the sessions that did not see a message on every channel since they joined are
/// due for an update; the others (re-registered while in the bucket) wait another period.
/// </summary>
internal sealed class NextLinkTimeouts
{
    private sealed class Bucket((int Seconds, string Uri) key, long dueMs)
    {
        public (int Seconds, string Uri) Key { get; } = key;

        public HashSet<HttpSession> Sessions { get; set; } = [];

        public HashSet<HttpSession> Deferred { get; set; } = [];

        public long DueMs { get; set; } = dueMs;
    }

    private readonly Dictionary<(int, string), Bucket> _buckets = [];
    private readonly Dictionary<HttpSession, Bucket> _bySession = [];

    public int BucketCount => _buckets.Count;

    public bool IsRegistered(HttpSession session) => _bySession.ContainsKey(session);

    /// <summary>
    /// The session holds (again) with a next link, or it just had a message on every channel: it
    /// joins the (timeout, link) bucket, or, already in it, is spared at the next firing.
    /// </summary>
    public void Register(HttpSession session, int seconds, string uriWithoutQuery, long nowMs)
    {
        var key = (seconds, uriWithoutQuery);
        if (_buckets.TryGetValue(key, out var bucket))
        {
            if (bucket.Sessions.Contains(session))
            {
                bucket.Deferred.Add(session);
                return;
            }
            Unregister(session);
            bucket.Sessions.Add(session);
            _bySession[session] = bucket;
            return;
        }
        Unregister(session);
        bucket = new Bucket(key, nowMs + (seconds * 1000L));
        bucket.Sessions.Add(session);
        _buckets[key] = bucket;
        _bySession[session] = bucket;
    }

    /// <summary>The session updates, backs up or ends: its timer is off.</summary>
    public void Unregister(HttpSession session)
    {
        if (!_bySession.Remove(session, out var bucket))
        {
            return;
        }
        bucket.Sessions.Remove(session);
        bucket.Deferred.Remove(session);
        if (bucket.Sessions.Count == 0)
        {
            _buckets.Remove(bucket.Key);
        }
    }

    /// <summary>Adds the sessions whose timer fired to <paramref name="due"/> (they leave their bucket).</summary>
    public void CollectDue(long nowMs, List<HttpSession> due)
    {
        List<Bucket>? fired = null;
        foreach (var bucket in _buckets.Values)
        {
            if (bucket.DueMs <= nowMs)
            {
                (fired ??= []).Add(bucket);
            }
        }
        if (fired is null)
        {
            return;
        }
        foreach (var bucket in fired)
        {
            foreach (var s in bucket.Sessions)
            {
                if (!bucket.Deferred.Contains(s))
                {
                    due.Add(s);
                    _bySession.Remove(s);
                }
            }
            if (bucket.Deferred.Count == 0)
            {
                _buckets.Remove(bucket.Key);
                continue;
            }
            // The active ones start another period.
            bucket.Sessions = bucket.Deferred;
            bucket.Deferred = [];
            bucket.DueMs = nowMs + Math.Max(bucket.Key.Seconds * 1000L, 1);
        }
    }
}
