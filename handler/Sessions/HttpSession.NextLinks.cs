using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Http;
using Pushpin.Handler.Instruct;

namespace Pushpin.Handler.Sessions;

/// <summary>
/// Next links (behavior.md §3.7): a non-hold response with a next link, or a stream hold that
/// must be updated, fetches <c>GET &lt;next&gt;</c> through the proxy's intreq sockets; the body
/// is appended to the client's stream and the response's own instructions are honoured.
/// </summary>
internal sealed partial class HttpSession
{
    /// <summary>Upstream's RETRY_MAX: failed next-link fetches are retried this often.</summary>
    public const int NextLinkRetryMax = 5;

    // Credits we grant the proxy for a next-link body; given back as the bytes are written.
    private const int OutboundCredits = 200_000;

    private INextLinkHost? _links;
    private NextLinkState? _linkState;
    private string? _currentUri;
    private string? _nextUri;
    private string? _outId;
    private string? _outFrom;
    private int _outSeq;
    private GripInstruct? _outInstruct;
    private long _outSent;
    private int _retries;
    private long _linkRetryDue = long.MaxValue;
    private bool _proxying;

    // timeout=N: the channels that had a message since the timer was last armed (null until used),
    // and whether published items are backed up (the timer is then off).
    private HashSet<string>? _activeChannels;
    private bool _linkBacklogged;

    /// <summary>The gone link of the initial instruct (absolute), POSTed when the session ends.</summary>
    public string? GoneUri { get; private set; }

    /// <summary>The session has a next link to fetch on updates.</summary>
    public bool HasNextLink => _nextUri is not null;

    /// <summary>A next-link fetch is under way (published items wait).</summary>
    public bool Proxying => _proxying;

    /// <summary>Gives the session what it needs to follow links; call before <see cref="Start"/>.</summary>
    public void AttachNextLinks(INextLinkHost host, NextLinkState state)
    {
        _links = host;
        _linkState = state;
        _currentUri = state.RequestUri;
        _nextUri = Resolve(_currentUri, _instruct.NextLink);
        GoneUri = Resolve(_currentUri, _instruct.GoneLink);
        if (_nextUri is null && GoneUri is null)
        {
            // Only a next-link response brings new links: without any, the state is never used.
            _linkState = null;
            _currentUri = null;
        }
    }

    /// <summary>A stream hold re-syncs (gap, hint, first subscription): fetch the next link.</summary>
    public void Update()
    {
        if (Finished || _closing || Retrying || _proxying || _nextUri is null)
        {
            return;
        }
        RequestNextLink();
    }

    /// <summary>A packet of our outbound request (from the proxy's intreq side).</summary>
    public void OnOutboundPacket(ZhttpPacket p)
    {
        if (Finished || _outId is null || p.Id != _outId)
        {
            return;
        }
        _outFrom ??= p.From;
        switch (p.Type)
        {
            case ZhttpPacketType.Error:
            case ZhttpPacketType.Cancel:
                Log.NextLinkFailed(_ctx.Logger, Id, p.Condition ?? p.Type.ToString());
                OutboundFailed();
                return;
            case ZhttpPacketType.Data:
                break;
            default:
                return;
        }

        if (_outInstruct is null)
        {
            if (p.Code < 200 || p.Code >= 300)
            {
                Log.NextLinkFailed(_ctx.Logger, Id, "status " + p.Code);
                CancelOutbound();
                OutboundFailed();
                return;
            }
            var response = new HttpResponseData { Code = p.Code, Reason = p.Reason ?? string.Empty, Headers = ToHeaderList(p.Headers) };
            if (!InstructParser.TryParse(response, out var instruct, out var error))
            {
                CancelOutbound();
                _proxying = false;
                Fail(error);
                return;
            }
            if (instruct!.HoldMode == HoldMode.Response)
            {
                CancelOutbound();
                _proxying = false;
                Fail("Next link returned non-stream hold.");
                return;
            }
            _outInstruct = instruct;
        }

        if (!p.Body.IsEmpty)
        {
            Write(p.Body.ToArray());
            _outSent += p.Body.Length;
            if (p.More && _outFrom is not null)
            {
                var credit = NewOutboundPacket(ZhttpPacketType.Credit);
                credit.Credits = p.Body.Length;
                _links!.Outbound!.Send(_outFrom, credit);
            }
        }
        if (!p.More)
        {
            NextLinkDone();
        }
    }

    /// <summary>The session is gone: cancel a running fetch, POST the gone link (failures ignored).</summary>
    public void OnRemoved()
    {
        CancelOutbound();
        if (GoneUri is null || _links?.Outbound is not { } outbound || _linkState is null)
        {
            return;
        }
        var p = NewRequestPacket("POST", GoneUri, _links.NewRequestId());
        p.Stream = false;
        outbound.SendInitial(p);
        GoneUri = null;
    }

    private void RequestNextLink()
    {
        if (_links?.Outbound is not { } outbound || _linkState is null || _nextUri is null)
        {
            _proxying = false;
            Fail("Instruct contained link, but handler not configured for outbound requests.");
            return;
        }
        _proxying = true;
        _links.DisarmLinkTimeout(this);
        _outId = _links.NewRequestId();
        _outFrom = null;
        _outSeq = 0;
        _outInstruct = null;
        _outSent = 0;
        var p = NewRequestPacket("GET", _nextUri, _outId);
        // Identical fetches from many sessions (same path, same Grip-Last) may be served by
        // one backend request: the proxy asks inspect for an automatic sharing key.
        ((Dictionary<string, object?>)p.Passthrough!)["auto-share"] = true;
        foreach (var c in Channels.Values)
        {
            if (c.PrevId is not null)
            {
                p.Headers!.Add(new HttpHeader("Grip-Last", c.Name + "; last-id=" + c.PrevId));
            }
        }
        _outSeq = 1;
        _links.Track(_outId, this);
        Log.NextLink(_ctx.Logger, Id, _nextUri);
        outbound.SendInitial(p);
    }

    private ZhttpPacket NewRequestPacket(string method, string uri, string id)
    {
        var target = new Uri(uri);
        var passthrough = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["route"] = System.Text.Encoding.UTF8.GetBytes(_linkState!.Route ?? string.Empty),
        };
        // The same scheme, host and port as the client's request: the network would bring it
        // back to us, so the proxy may serve it through the original route.
        if (Uri.TryCreate(_linkState.RequestUri, UriKind.Absolute, out var original)
            && original.Scheme == target.Scheme
            && string.Equals(original.Host, target.Host, StringComparison.OrdinalIgnoreCase)
            && original.Port == target.Port)
        {
            passthrough["prefer-internal"] = true;
        }
        if (_linkState.Trusted)
        {
            passthrough["trusted"] = true;
        }
        return new ZhttpPacket
        {
            From = _links!.Outbound!.InstanceId,
            Id = id,
            Seq = 0,
            Method = method,
            Uri = uri,
            Headers = [new HttpHeader("Host", target.IsDefaultPort ? target.Host : target.Authority)],
            Stream = true,
            Credits = OutboundCredits,
            Passthrough = passthrough,
        };
    }

    private ZhttpPacket NewOutboundPacket(ZhttpPacketType type) => new()
    {
        From = _links!.Outbound!.InstanceId,
        Id = _outId,
        Seq = _outSeq++,
        Type = type,
    };

    // The fetched response is complete: take over its instructions.
    private void NextLinkDone()
    {
        var instruct = _outInstruct!;
        _links!.Untrack(_outId!);
        _outId = null;
        _outInstruct = null;
        _retries = 0;
        _proxying = false;
        _currentUri = _nextUri;
        _nextUri = Resolve(_currentUri, instruct.NextLink);

        if (instruct.HoldMode == HoldMode.Stream)
        {
            if (instruct.Channels.Count > _links.SubscriptionMax)
            {
                Log.TooManySubscriptions(_ctx.Logger, Id, instruct.Channels.Count, _links.SubscriptionMax);
                instruct.Channels.RemoveRange(_links.SubscriptionMax, instruct.Channels.Count - _links.SubscriptionMax);
            }
            _links.Resubscribe(this, () =>
            {
                _instruct = instruct;
                Mode = HoldMode.Stream;
                ReplaceChannels(instruct);
            });
            foreach (var c in Channels.Values)
            {
                if (c.PrevId is not null && _nextUri is null)
                {
                    Log.PrevIdWithoutNextLink(_ctx.Logger, Id, c.Name);
                    Fail($"channel '{c.Name}' specifies prev-id, but no next link found");
                    return;
                }
            }
            ArmKeepAlive(force: true);
            _linkBacklogged = false;
            ArmLinkTimeout();
            ProcessQueue();
            return;
        }

        // Non-hold: follow its own next link, or the stream is complete.
        if (_nextUri is not null)
        {
            RequestNextLink();
            return;
        }
        _closing = true;
        _keepAliveDue = long.MaxValue;
        Flush();
    }

    // Implicit channels stay; the instruct's channels replace the rest (prev-ids and filters
    // of retained channels updated), as upstream.
    private void ReplaceChannels(GripInstruct instruct)
    {
        var next = new Dictionary<string, InstructChannel>(StringComparer.Ordinal);
        foreach (var name in _linkState!.ImplicitChannels)
        {
            if (Channels.TryGetValue(name, out var c))
            {
                next[name] = c;
            }
        }
        foreach (var c in instruct.Channels)
        {
            var full = _linkState.ChannelPrefix + c.Name;
            if (!Channels.TryGetValue(full, out var channel))
            {
                channel = new InstructChannel(c.Name);
            }
            channel.PrevId = c.PrevId;
            channel.Filters.Clear();
            channel.Filters.AddRange(c.Filters);
            next[full] = channel;
        }
        Channels.Clear();
        foreach (var (name, c) in next)
        {
            Channels[name] = c;
        }
    }

    // Non-2xx or a transport error: retried (1 s, 2 s, 4 s, ... plus jitter) while nothing of
    // the body was written, then the session errors.
    private void OutboundFailed()
    {
        if (_outId is not null)
        {
            _links!.Untrack(_outId);
            _outId = null;
        }
        _outInstruct = null;
        if (_outSent <= 0 && _retries < NextLinkRetryMax)
        {
            var delay = (1000L << _retries) + Random.Shared.Next(1000);
            _retries++;
            _linkRetryDue = _ctx.NowMs + delay;
            return;
        }
        _proxying = false;
        Fail("Failed to retrieve next link.");
    }

    private void CancelOutbound()
    {
        if (_outId is null)
        {
            return;
        }
        if (_outFrom is not null)
        {
            _links!.Outbound?.Send(_outFrom, NewOutboundPacket(ZhttpPacketType.Cancel));
        }
        _links!.Untrack(_outId);
        _outId = null;
    }

    // Upstream's updateManager->registerSession: holding with a next link that has a timeout.
    private void ArmLinkTimeout()
    {
        if (Mode != HoldMode.Stream || _nextUri is null || _instruct.NextLinkTimeout < 0 || _links is null || _closing || Finished)
        {
            return;
        }
        _activeChannels?.Clear();
        _links.ArmLinkTimeout(this, _instruct.NextLinkTimeout, _nextUri);
    }

    // A message went out on a channel: once every channel had one, the session is spared at the
    // next firing of its timer.
    private void NoteActiveChannel(string channel)
    {
        if (_nextUri is null || _instruct.NextLinkTimeout < 0 || _links is null)
        {
            return;
        }
        _activeChannels ??= new HashSet<string>(StringComparer.Ordinal);
        _activeChannels.Add(channel);
        if (_activeChannels.Count >= Channels.Count)
        {
            ArmLinkTimeout();
        }
    }

    // Items waiting (no credits): the timer is off until they are sent, then it starts again.
    private void FollowBacklog()
    {
        if (_links is null || Mode != HoldMode.Stream || _nextUri is null || _instruct.NextLinkTimeout < 0 || _proxying)
        {
            return;
        }
        if (_queue.Count > 0)
        {
            _linkBacklogged = true;
            _links.DisarmLinkTimeout(this);
        }
        else if (_linkBacklogged)
        {
            _linkBacklogged = false;
            ArmLinkTimeout();
        }
    }

    private static HeaderList ToHeaderList(List<HttpHeader>? headers)
    {
        var list = new HeaderList();
        if (headers is not null)
        {
            foreach (var h in headers)
            {
                list.Add(h.Name, h.Value);
            }
        }
        return list;
    }

    /// <summary>A link resolved against the current URI; null when there is none or it is unusable.</summary>
    internal static string? Resolve(string? current, string? link)
    {
        if (string.IsNullOrEmpty(link))
        {
            return null;
        }
        if (Uri.TryCreate(link, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
        {
            return absolute.ToString();
        }
        if (current is not null && Uri.TryCreate(current, UriKind.Absolute, out var baseUri) && Uri.TryCreate(baseUri, link, out var resolved))
        {
            return resolved.ToString();
        }
        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 307, Level = LogLevel.Debug, Message = "httpsession {Id}: next: {Uri}")]
        public static partial void NextLink(ILogger logger, string id, string uri);

        [LoggerMessage(EventId = 309, Level = LogLevel.Warning, Message = "httpsession {Id}: too many subscriptions ({Count}, max {Max}), the rest ignored")]
        public static partial void TooManySubscriptions(ILogger logger, string id, int count, int max);

        [LoggerMessage(EventId = 308, Level = LogLevel.Debug, Message = "httpsession {Id}: failed to retrieve next link ({Reason})")]
        public static partial void NextLinkFailed(ILogger logger, string id, string reason);
    }
}
