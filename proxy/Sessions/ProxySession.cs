using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// One client request: the inbound zhttp session with connmgr (we are its responder) and the
/// outbound one toward connmgr's client mode (we are its requester). Touched only by the engine
/// loop, so it needs no locks.
/// </summary>
internal sealed class ProxySession
{
    public ProxySession(string requesterId, string id)
    {
        RequesterId = requesterId;
        Id = id;
    }

    // ---- inbound (client side, we respond) ----
    public string RequesterId { get; }

    public string Id { get; }

    /// <summary>The socket set the client session runs on (connmgr's, or intreq for the handler's own requests).</summary>
    public Pushpin.Common.Zhttp.ZhttpResponder Responder { get; init; } = null!;

    /// <summary>An intreq request from the handler: routed by its passthrough data, GRIP relayed raw, no stats.</summary>
    public bool Internal { get; init; }

    /// <summary>Passthrough <c>auto-share</c>: ask inspect for an automatic sharing key.</summary>
    public bool AutoShare { get; set; }

    /// <summary>inspect said <c>no-proxy</c>: the whole request goes to the handler in <c>accept</c>, without a response.</summary>
    public bool NoProxy { get; set; }

    /// <summary>Re-run for the handler (retry packet): accepted again with <c>is-retry</c>.</summary>
    public bool IsRetry { get; init; }

    /// <summary>The shared backend request this session owns or follows (inspect's <c>sharing-key</c>).</summary>
    public SharedRequest? Shared { get; set; }

    /// <summary>What inspect (or the retry packet) said about this request.</summary>
    public InspectResult? Inspect { get; set; }

    /// <summary>CORS headers on every response (<c>auto_cross_origin</c> or route <c>aco</c>).</summary>
    public bool AutoCrossOrigin { get; set; }

    /// <summary>The JSON-P callback when the request came in as JSON-P.</summary>
    public string? JsonpCallback { get; set; }

    public bool JsonpExtended { get; set; }

    /// <summary>Wraps the response body once it starts (JSON-P requests only).</summary>
    public Pushpin.Proxy.Http.JsonpEncoder? Jsonp { get; set; }

    public bool JsonpEnded { get; set; }

    public bool RouterResp { get; set; }

    public int InSeq { get; set; }

    public int OutSeq { get; set; }

    /// <summary>Response body bytes connmgr lets us send now.</summary>
    public int OutCredits { get; set; }

    public object? UserData { get; set; }

    public string? PeerAddress { get; set; }

    public bool RequestFinished { get; set; }

    public DateTime LastInbound { get; set; } = DateTime.UtcNow;

    public DateTime LastSentInbound { get; set; } = DateTime.UtcNow;

    // ---- request ----
    public string Method { get; set; } = "GET";

    public RequestUri OrigUri { get; set; } = null!;

    public List<HttpHeader> OrigHeaders { get; set; } = [];

    public RequestUri Uri { get; set; } = null!;

    public List<HttpHeader> Headers { get; set; } = [];

    public Route Route { get; set; } = null!;

    public bool Https { get; set; }

    /// <summary>A stats <c>conn</c> was added for this session (removed with it).</summary>
    public bool StatsTracked { get; set; }

    /// <summary>The handler accepted the session: its stats conn lingers instead of going unavailable.</summary>
    public bool HandedOff { get; set; }

    public bool Trusted { get; set; }

    public bool Debug { get; set; }

    public string? LogicalPeerAddress { get; set; }

    /// <summary>Body bytes received but not yet forwarded to the target.</summary>
    public BodyQueue PendingRequestBody { get; } = new();

    /// <summary>The first 100,000 body bytes, kept for failover and for the accept call.</summary>
    public MemoryStream RequestBodyCopy { get; } = new();

    /// <summary>True once the body outgrew <see cref="RequestBodyCopy"/>.</summary>
    public bool RequestBodyTooLarge { get; set; }

    /// <summary>The first packet's body, sent with the first target's initial packet.</summary>
    public ReadOnlyMemory<byte> FirstBody { get; set; }

    // ---- outbound (toward the target) ----
    public Queue<RouteTarget> RemainingTargets { get; set; } = new();

    public RouteTarget? Target { get; set; }

    public string? OutboundId { get; set; }

    /// <summary>The socket set the outbound session runs on (connmgr client mode or a zhttp/ target).</summary>
    public ZhttpRequester Requester { get; set; } = null!;

    public string? TargetAddress { get; set; }

    /// <summary>The <c>zhttpreq/</c> target's socket while one is being tried (whole request in one packet).</summary>
    public ZhttpReqRequester? ReqClient { get; set; }

    public int TargetOutSeq { get; set; }

    /// <summary>Next seq expected from the target side.</summary>
    public int TargetInSeq { get; set; }

    /// <summary>Request body bytes the target lets us send now.</summary>
    public int TargetCredits { get; set; }

    public bool RequestBodySent { get; set; }

    public bool TargetBodyStarted { get; set; }

    public bool TargetFinished { get; set; }

    public DateTime LastSentOutbound { get; set; } = DateTime.UtcNow;

    // ---- response ----
    public SessionState State { get; set; } = SessionState.Requesting;

    public int ResponseCode { get; set; } = -1;

    public string ResponseReason { get; set; } = string.Empty;

    public List<HttpHeader> ResponseHeaders { get; set; } = [];

    /// <summary>Response body waiting for connmgr's credits (bounded by the credits we granted the target).</summary>
    public BodyQueue PendingResponseBody { get; } = new();

    public bool ResponseHeaderSent { get; set; }

    /// <summary>The buffered GRIP instruct body.</summary>
    public MemoryStream InstructBody { get; } = new();

    public long ResponseBodySize { get; set; }

    public bool ResponseComplete { get; set; }

    /// <summary>A stream hold whose initial response the proxy sends before handing over.</summary>
    public bool AcceptAfterResponding { get; set; }

    /// <summary>The backend's response as received (with its Grip-* headers), for the accept call.</summary>
    public int AcceptResponseCode { get; set; } = -1;

    public string AcceptResponseReason { get; set; } = string.Empty;

    public List<HttpHeader>? AcceptResponseHeaders { get; set; }
}

/// <summary>Where a session is in its life.</summary>
internal enum SessionState
{
    /// <summary>Waiting for the handler's <c>inspect</c> answer before forwarding.</summary>
    Inspecting,

    /// <summary>Request sent (or being sent) to a target, no response yet.</summary>
    Requesting,

    /// <summary>Relaying a non-GRIP response.</summary>
    Responding,

    /// <summary>Buffering a GRIP instruct response.</summary>
    BufferingInstruct,

    /// <summary>Instruct complete; waiting for the client request body to finish.</summary>
    WaitingForRequestEnd,

    /// <summary><c>handoff-start</c> sent; waiting for <c>handoff-proceed</c>.</summary>
    HandoffStarting,

    /// <summary>zrpc <c>accept</c> in flight.</summary>
    Accepting,

    /// <summary>Sending a response generated by the proxy.</summary>
    RespondingLocal,

    Done,
}
