using Pushpin.Common.Stats;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Signing;

namespace Pushpin.Proxy;

/// <summary>
/// Everything the proxy core reads from configuration and the command line, so the core does
/// not depend on how config is loaded.
/// </summary>
public sealed record ProxyOptions
{
    /// <summary>Instance id: zhttp <c>from</c>, ROUTER identity, zrpc <c>from</c>.</summary>
    public string InstanceId { get; init; } = "proxy_" + Environment.ProcessId;

    public IReadOnlyList<string> ConnmgrInSpecs { get; init; } = ["tcp://127.0.0.1:14500"];

    public IReadOnlyList<string> ConnmgrInStreamSpecs { get; init; } = ["tcp://127.0.0.1:14501"];

    public IReadOnlyList<string> ConnmgrOutSpecs { get; init; } = ["tcp://127.0.0.1:14502"];

    public IReadOnlyList<string> ConnmgrClientOutSpecs { get; init; } = ["tcp://127.0.0.1:14505"];

    public IReadOnlyList<string> ConnmgrClientOutStreamSpecs { get; init; } = ["tcp://127.0.0.1:14506"];

    public IReadOnlyList<string> ConnmgrClientInSpecs { get; init; } = ["tcp://127.0.0.1:14507"];

    /// <summary>DEALER bound here for zrpc <c>accept</c> calls to the handler.</summary>
    public string HandlerAcceptSpec { get; init; } = "tcp://127.0.0.1:14601";

    /// <summary><c>handler_ws_control_init_specs</c>: PUSH bound here, the first ws-control item of a connection.</summary>
    public IReadOnlyList<string> WsControlInitSpecs { get; init; } = [];

    /// <summary><c>handler_ws_control_stream_specs</c>: ROUTER bound here, the rest of ws-control.</summary>
    public IReadOnlyList<string> WsControlStreamSpecs { get; init; } = [];

    /// <summary>
    /// The handler's own outbound requests (next links, WebSocket-over-HTTP): PULL, ROUTER and
    /// PUB bound here (<c>intreq_in_specs</c>, <c>intreq_in_stream_specs</c>, <c>intreq_out_specs</c>);
    /// empty = not served.
    /// </summary>
    public IReadOnlyList<string> IntreqInSpecs { get; init; } = [];

    public IReadOnlyList<string> IntreqInStreamSpecs { get; init; } = [];

    public IReadOnlyList<string> IntreqOutSpecs { get; init; } = [];

    /// <summary>DEALER bound here for zrpc <c>inspect</c> calls to the handler (<c>handler_inspect_spec</c>); null = no inspect.</summary>
    public string? HandlerInspectSpec { get; init; }

    /// <summary>How long a request waits for inspect before it is proxied without it (upstream: 8 s).</summary>
    public TimeSpan InspectTimeout { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary><c>auto_cross_origin</c>: CORS headers and JSON-P on every route (§11.1).</summary>
    public bool AutoCrossOrigin { get; init; }

    /// <summary>ROUTER bound here for the handler's retry packets (<c>handler_retry_in_spec</c>); null = none.</summary>
    public string? HandlerRetryInSpec { get; init; }

    public string? RoutesFile { get; init; }

    /// <summary><c>--route</c> lines; when present they replace the routes file.</summary>
    public IReadOnlyList<string> RouteLines { get; init; } = [];

    public bool Debug { get; init; }

    public string SigIss { get; init; } = "pushpin";

    public GripSigningKey? SigKey { get; init; }

    public GripSigningKey? UpstreamKey { get; init; }

    public bool AcceptXForwardedProtocol { get; init; }

    /// <summary>Send <c>X-Forwarded-Proto</c> on TLS requests (<c>set_x_forwarded_protocol=true|proto-only</c>).</summary>
    public bool SetXForwardedProto { get; init; }

    /// <summary>Also send the deprecated <c>X-Forwarded-Protocol</c> (<c>set_x_forwarded_protocol=true</c>).</summary>
    public bool SetXForwardedProtocol { get; init; }

    public XffRule XffUntrusted { get; init; } = XffRule.None;

    public XffRule XffTrusted { get; init; } = XffRule.None;

    public IReadOnlyList<string> OrigHeadersNeedMark { get; init; } = [];

    public bool AcceptPushpinRoute { get; init; }

    public string CdnLoop { get; init; } = string.Empty;

    /// <summary>Add <c>from=</c> (the logical client address) to request log lines (<c>log_from</c>).</summary>
    public bool LogFrom { get; init; }

    /// <summary>Add <c>ua=</c> to request log lines (<c>log_user_agent</c>).</summary>
    public bool LogUserAgent { get; init; }

    /// <summary>How long to wait for the handler's answer to <c>accept</c> before answering 500.</summary>
    public TimeSpan AcceptTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Response credits granted to connmgr's client mode per outbound request (as the C++ requester).</summary>
    public int OutboundCredits { get; init; } = 200_000;

    /// <summary><c>[proxy] stats_spec</c>: the proxy's stats PUB bind (the handler merges it); null = no stats.</summary>
    public string? StatsSpec { get; init; }

    /// <summary>
    /// <c>[global] stats_connection_ttl</c>, <c>stats_connection_send</c>, <c>[proxy]
    /// stats_report_interval</c>, <c>stats_connections_max_ttl</c>.
    /// </summary>
    public StatsAggregatorOptions Stats { get; init; } = new();
}
