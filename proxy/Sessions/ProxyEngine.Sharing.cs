using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// Response sharing (upstream's proxy items by sharing key): a request whose inspect answer
/// carries a <c>sharing-key</c>, with its whole body in, joins the session already requesting
/// with that key instead of making its own backend request; every target packet the leader
/// gets is replayed to each follower, which then goes its own way (relay, GRIP handoff, accept).
/// Joining stops once the leader's response starts (upstream also lets late requests join while
/// the initial response is still buffered; we keep no such buffer).
/// </summary>
public sealed partial class ProxyEngine
{
    private readonly Dictionary<string, ProxySession> _sharing = new(StringComparer.Ordinal);

    /// <summary>Requests that joined another's backend request (for tests).</summary>
    internal long SharingJoins { get; private set; }

    /// <summary>Joins the in-flight session with <paramref name="key"/>, or opens sharing under it; true when joined.</summary>
    private bool TryJoinShared(ProxySession s, string? key)
    {
        if (string.IsNullOrEmpty(key) || !s.RequestFinished)
        {
            return false;
        }
        if (_sharing.TryGetValue(key, out var leader) && leader.State == SessionState.Requesting)
        {
            (leader.Followers ??= []).Add(s);
            s.Leader = leader;
            s.State = SessionState.Requesting;
            SharingJoins++;
            return true;
        }
        s.SharingKey = key;
        _sharing[key] = s;
        return false;
    }

    private void StopSharing(ProxySession s)
    {
        if (s.SharingKey is { } key)
        {
            if (_sharing.TryGetValue(key, out var current) && ReferenceEquals(current, s))
            {
                _sharing.Remove(key);
            }
            s.SharingKey = null;
        }
    }

    /// <summary>Gives a leader's target packet to its followers first (they act as if it were their own).</summary>
    private void ShareTargetData(ProxySession leader, ZhttpPacket p)
    {
        StopSharing(leader);
        if (leader.Followers is not { Count: > 0 } followers)
        {
            return;
        }
        foreach (var f in followers.ToArray())
        {
            if (f.State != SessionState.Done)
            {
                f.Target = leader.Target;
                OnTargetData(f, p);
            }
        }
    }

    /// <summary>A session leaves: unlink it; followers still waiting are proxied alone, those mid-response end.</summary>
    private void LeaveSharing(ProxySession s)
    {
        StopSharing(s);
        if (s.Leader is { } leader)
        {
            leader.Followers?.Remove(s);
            s.Leader = null;
        }
        if (s.Followers is not { Count: > 0 } followers)
        {
            return;
        }
        s.Followers = null;
        foreach (var f in followers)
        {
            f.Leader = null;
            if (f.State == SessionState.Requesting)
            {
                StartForwarding(f);
            }
            else if (f.State != SessionState.Done && !f.TargetFinished)
            {
                Reject(f, 502, "Bad Gateway", "Error while proxying to origin.", "Error while proxying to origin.");
            }
        }
    }
}
