using Pushpin.Common.Zhttp;
using Pushpin.Handler.Http;
using Pushpin.Handler.Instruct;

namespace Pushpin.Handler.Sessions;

/// <summary>The engine side of next links: outbound request ids → sessions, subscription moves.</summary>
internal sealed partial class HandlerEngine : INextLinkHost
{
    private readonly Dictionary<string, HttpSession> _outbound = new(StringComparer.Ordinal);
    private readonly NextLinkTimeouts _linkTimeouts = new();
    private readonly List<HttpSession> _linkTimeoutsDue = [];
    private long _outboundCounter;

    /// <summary>The proxy's intreq sockets; null = next links are not followed (non-hold responses are sent as they are).</summary>
    public IOutboundSender? Outbound { get; set; }

    /// <summary>Outbound requests in flight (tests, metrics).</summary>
    internal int OutboundCount => _outbound.Count;

    public string NewRequestId() => "nl-" + (++_outboundCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Track(string requestId, HttpSession session) => _outbound[requestId] = session;

    public void Untrack(string requestId) => _outbound.Remove(requestId);

    /// <summary>A packet on the intreq sockets (a reply to one of our outbound requests).</summary>
    public void HandleOutboundPacket(ZhttpPacket p)
    {
        if (p.Id is null || !_outbound.TryGetValue(p.Id, out var session))
        {
            // Replies to gone-link POSTs and late packets of cancelled fetches.
            return;
        }
        session.OnOutboundPacket(p);
        if (session.Finished)
        {
            _ended.Add(session);
        }
        RemoveEnded();
    }

    public int SubscriptionMax => _subscriptionMax;

    /// <summary>Next-link timeout buckets (tests).</summary>
    internal NextLinkTimeouts LinkTimeouts => _linkTimeouts;

    public void ArmLinkTimeout(HttpSession session, int seconds, string uri) =>
        _linkTimeouts.Register(session, seconds, UriText.WithoutQuery(uri), _ctx.NowMs);

    public void DisarmLinkTimeout(HttpSession session) => _linkTimeouts.Unregister(session);

    // Silent stream holds fetch their next link (a low-priority update, as upstream's timer does).
    private void TickLinkTimeouts(long now)
    {
        _linkTimeouts.CollectDue(now, _linkTimeoutsDue);
        foreach (var session in _linkTimeoutsDue)
        {
            RequestUpdate(session, new UpdateReason(null, HighPriority: false));
        }
        _linkTimeoutsDue.Clear();
    }

    public void Resubscribe(HttpSession session, Action apply)
    {
        var oldMode = session.Mode;
        var oldNames = new List<string>(session.Channels.Keys);
        apply();
        var newMode = session.Mode;
        foreach (var name in oldNames)
        {
            if (session.Channels.ContainsKey(name))
            {
                if (oldMode != newMode)
                {
                    CountSubscriber(oldMode, name, -1);
                    CountSubscriber(newMode, name, +1);
                }
                continue;
            }
            if (_subscriptions.TryGetValue(name, out var set) && set.Remove(session))
            {
                CountSubscriber(oldMode, name, -1);
                if (set.Count == 0)
                {
                    _subscriptions.Remove(name);
                    ReleaseSub(name, oldMode);
                }
            }
        }
        foreach (var name in session.Channels.Keys)
        {
            if (oldNames.Contains(name))
            {
                continue;
            }
            if (!_subscriptions.TryGetValue(name, out var set))
            {
                set = [];
                _subscriptions[name] = set;
            }
            AddSub(name);
            if (set.Add(session))
            {
                CountSubscriber(newMode, name, +1);
            }
        }
    }

    // Stream holds re-sync through their next link (no next link: nothing to do, as upstream).
    private static bool UpdatesByNextLink(HttpSession session) => session.Mode == HoldMode.Stream;
}
