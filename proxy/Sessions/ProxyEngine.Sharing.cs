using System.Buffers;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// Response sharing (upstream's proxy sessions by sharing key). A request whose inspect answer
/// carries a <c>sharing-key</c> and whose body is complete joins the backend request already made
/// under that key instead of making its own. Joining stays open until the response is complete
/// or its first 100,000 bytes have passed (late joiners are caught up from that buffer). Every
/// member then goes its own way with the packets (relay, GRIP handoff, CORS/JSON-P); the backend
/// is paced by the slowest member, and the request outlives the owner's client while others need it.
/// </summary>
public sealed partial class ProxyEngine
{
    /// <summary>Upstream's limit for the initial response a late joiner can catch up from.</summary>
    private const int MaxSharedInitialBody = 100_000;

    private readonly Dictionary<string, SharedRequest> _sharing = new(StringComparer.Ordinal);

    /// <summary>Shared requests whose owner's client left; kept for their keep-alives.</summary>
    private readonly HashSet<SharedRequest> _ownerless = [];

    /// <summary>Requests that joined another's backend request (for tests).</summary>
    internal long SharingJoins { get; private set; }

    /// <summary>Joins the shared request open under <paramref name="key"/>, or opens one; true when joined.</summary>
    private bool TryJoinShared(ProxySession s, string? key)
    {
        if (string.IsNullOrEmpty(key) || !s.RequestFinished)
        {
            return false;
        }
        if (!_sharing.TryGetValue(key, out var group))
        {
            var opened = new SharedRequest(s, key);
            s.Shared = opened;
            _sharing[key] = opened;
            return false;
        }
        group.Followers.Add(s);
        s.Shared = group;
        s.State = SessionState.Requesting;
        SharingJoins++;
        LogSharingJoin(_logger, s.Id, group.Owner.Id, key);
        if (group.ResponseStart is { } start)
        {
            // A late joiner: replay the response so far as one packet.
            HandleTargetData(s, CopyForMember(start, group.InitialBody!.WrittenMemory));
        }
        return true;
    }

    private static bool IsSharingOwner(ProxySession s) => s.Shared is { } g && ReferenceEquals(g.Owner, s);

    /// <summary>Gives a target packet of the owner to every follower (before the owner acts on it).</summary>
    private void ShareTargetData(SharedRequest group, ZhttpPacket p)
    {
        group.BodyReceived += p.Body.Length;
        if (group.ResponseStart is null && p.Code >= 0)
        {
            group.ResponseStart = CopyForMember(p, ReadOnlyMemory<byte>.Empty);
            group.ResponseStart.More = true;
            if (group.Key is not null)
            {
                group.InitialBody = new();
            }
        }
        if (!p.More)
        {
            CloseJoining(group);
        }
        else if (group.InitialBody is { } buffer)
        {
            if (buffer.WrittenCount + p.Body.Length > MaxSharedInitialBody)
            {
                CloseJoining(group);
            }
            else
            {
                buffer.Write(p.Body.Span);
            }
        }
        if (group.Followers.Count == 0)
        {
            return;
        }
        foreach (var f in group.Followers.ToArray())
        {
            if (f.State != SessionState.Done && ReferenceEquals(f.Shared, group))
            {
                HandleTargetData(f, CopyForMember(p, p.Body));
            }
        }
    }

    /// <summary>A member's own copy: members rewrite headers (CORS, hop-by-hop) independently.</summary>
    private static ZhttpPacket CopyForMember(ZhttpPacket p, ReadOnlyMemory<byte> body) => new()
    {
        Code = p.Code,
        Reason = p.Reason,
        Headers = p.Headers is null ? null : [.. p.Headers],
        Body = body,
        More = p.More,
    };

    private void CloseJoining(SharedRequest group)
    {
        if (group.Key is { } key && _sharing.TryGetValue(key, out var current) && ReferenceEquals(current, group))
        {
            _sharing.Remove(key);
        }
        group.Key = null;
        group.InitialBody = null;
    }

    /// <summary>
    /// Returns credits to the target for bytes every member has passed on: the backend may run
    /// ahead of the slowest client by its initial window, never more (upstream syncs to the
    /// slowest receiver before reading again).
    /// </summary>
    private void GrantSharedCredits(SharedRequest group)
    {
        var owner = group.Owner;
        if (group.Distributing || owner.OutboundId is null || owner.TargetAddress is null || owner.TargetFinished)
        {
            return;
        }
        var backlog = group.OwnerGone ? 0 : Backlog(owner);
        foreach (var f in group.Followers)
        {
            backlog = Math.Max(backlog, Backlog(f));
        }
        var grant = group.BodyReceived - backlog - group.CreditsGranted;
        if (grant > 0)
        {
            group.CreditsGranted += grant;
            SendOutbound(owner, new ZhttpPacket { Type = ZhttpPacketType.Credit, Credits = (int)Math.Min(grant, int.MaxValue) });
        }
    }

    private static int Backlog(ProxySession s) => s.State == SessionState.Done ? 0 : s.PendingResponseBody.Count;

    /// <summary>
    /// The owner's client is leaving while followers still read the response: keep the backend
    /// request for them. True when it was kept (the caller must not cancel it).
    /// </summary>
    private bool KeepForFollowers(ProxySession s)
    {
        if (s.Shared is not { } group || !ReferenceEquals(group.Owner, s) || s.TargetFinished || !group.HasActiveFollowers)
        {
            return false;
        }
        group.OwnerGone = true;
        _ownerless.Add(group);
        GrantSharedCredits(group);
        return true;
    }

    /// <summary>A target error reaches the followers too, unless the owner retries another target.</summary>
    private bool ShareTargetError(ProxySession s, string condition, bool ownerRetries)
    {
        var group = s.Shared!;
        if (!ownerRetries || group.OwnerGone)
        {
            foreach (var f in group.Followers.ToArray())
            {
                Unlink(f);
                if (f.State != SessionState.Done)
                {
                    // A follower still waiting fails as the owner does; one mid-response is cut off.
                    OnTargetError(f, condition);
                }
            }
            group.Followers.Clear();
        }
        if (!group.OwnerGone)
        {
            return false;
        }
        EndOwnerless(group);
        return true;
    }

    /// <summary>The shared request failed before any response: every member gets the same error (upstream rejects all).</summary>
    private void RejectShared(ProxySession s, int code, string reason, string message, string debugMessage)
    {
        if (IsSharingOwner(s))
        {
            var group = s.Shared!;
            foreach (var f in group.Followers.ToArray())
            {
                Unlink(f);
                if (f.State != SessionState.Done)
                {
                    Reject(f, code, reason, message, debugMessage);
                }
            }
            group.Followers.Clear();
        }
        Reject(s, code, reason, message, debugMessage);
    }

    /// <summary>A session leaves (it is done): unlink it, and let an ownerless request go once nobody needs it.</summary>
    private void LeaveSharing(ProxySession s)
    {
        if (s.Shared is not { } group)
        {
            return;
        }
        if (!ReferenceEquals(group.Owner, s))
        {
            group.Followers.Remove(s);
            s.Shared = null;
            if (group.OwnerGone && !group.HasActiveFollowers)
            {
                EndOwnerless(group);
            }
            else
            {
                GrantSharedCredits(group);
            }
            return;
        }
        if (group.OwnerGone)
        {
            return;
        }
        CloseJoining(group);
        ReleaseFollowers(group);
        s.Shared = null;
    }

    /// <summary>The shared request ends with its owner's client already gone.</summary>
    private void EndOwnerless(SharedRequest group)
    {
        _ownerless.Remove(group);
        group.OwnerGone = false;
        CloseJoining(group);
        var owner = group.Owner;
        CancelOutbound(owner);
        owner.Shared = null;
        ReleaseFollowers(group);
    }

    /// <summary>Followers of a request that is gone: those still waiting are proxied alone, those mid-response end.</summary>
    private void ReleaseFollowers(SharedRequest group)
    {
        var followers = group.Followers.ToArray();
        group.Followers.Clear();
        foreach (var f in followers)
        {
            Unlink(f);
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

    private static void Unlink(ProxySession f) => f.Shared = null;

    /// <summary>Keep-alives toward targets whose owner's client left (they are not in the inbound table).</summary>
    private void KeepOwnerlessAlive(DateTime now)
    {
        foreach (var group in _ownerless)
        {
            var owner = group.Owner;
            if (owner.OutboundId is not null && owner.TargetAddress is not null && !owner.TargetFinished && now - owner.LastSentOutbound >= KeepAliveInterval)
            {
                SendOutbound(owner, new ZhttpPacket { Type = ZhttpPacketType.KeepAlive });
            }
        }
    }

    [LoggerMessage(2009, LogLevel.Debug, "session {Id} shares the backend request of session {Owner} (sharing key {Key})")]
    private static partial void LogSharingJoin(ILogger logger, string id, string owner, string key);
}
