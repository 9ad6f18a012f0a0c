using Pushpin.Common.Config;
using Pushpin.Common.Stats;
using Pushpin.Handler.Sessions;

namespace Pushpin.Handler;

/// <summary>
/// Everything the handler reads from configuration, resolved once at start-up, so the core never
/// depends on how config is read (tests build it directly).
/// </summary>
internal sealed record HandlerOptions
{
    /// <summary>zhttp <c>from</c> and ROUTER identity (<c>handler_&lt;pid&gt;</c>).</summary>
    public string InstanceId { get; init; } = $"handler_{Environment.ProcessId}";

    /// <summary><c>[handler] push_in_spec</c>: PULL bind for publish items.</summary>
    public string? PushInSpec { get; init; } = "tcp://127.0.0.1:5560";

    /// <summary><c>[handler] push_in_sub_specs</c> first spec, reported by get-zmq-uris when the SUB binds.</summary>
    public string? PushInSubSpec { get; init; }

    /// <summary><c>[handler] push_in_sub_specs</c> (legacy <c>push_in_sub_spec</c> merged); empty = no SUB input.</summary>
    public IReadOnlyList<string> PushInSubSpecs { get; init; } = [];

    /// <summary><c>[handler] push_in_sub_connect</c>: connect the SUB instead of binding it.</summary>
    public bool PushInSubConnect { get; init; }

    /// <summary><c>[handler] push_in_http_addr</c>.</summary>
    public string PushInHttpAddr { get; init; } = "127.0.0.1";

    /// <summary><c>[handler] push_in_http_port</c>; 0 or less disables the HTTP API.</summary>
    public int PushInHttpPort { get; init; } = 5561;

    public int PushInHttpMaxHeadersSize { get; init; } = 10_000;

    public int PushInHttpMaxBodySize { get; init; } = 1_000_000;

    /// <summary><c>[handler] command_spec</c>: zrpc ROUTER bind.</summary>
    public string? CommandSpec { get; init; } = "tcp://127.0.0.1:5563";

    /// <summary><c>[handler] proxy_accept_specs</c>: ROUTER connects to the proxy's accept DEALER.</summary>
    public IReadOnlyList<string> ProxyAcceptSpecs { get; init; } = ["tcp://127.0.0.1:14601"];

    /// <summary><c>[handler] proxy_inspect_specs</c>: ROUTER connects to the proxy's inspect DEALER; empty = inspect not served.</summary>
    public IReadOnlyList<string> ProxyInspectSpecs { get; init; } = [];

    /// <summary><c>[handler] share_all</c>: inspect gives every request a sharing key (<c>METHOD|uri</c>).</summary>
    public bool ShareAll { get; init; }

    /// <summary><c>[proxy] connmgr_in_stream_specs</c>: ROUTER connects to connmgr's stream ROUTER.</summary>
    public IReadOnlyList<string> ConnmgrInStreamSpecs { get; init; } = ["tcp://127.0.0.1:14501"];

    /// <summary><c>[proxy] connmgr_out_specs</c>: PUB connects to connmgr's SUB.</summary>
    public IReadOnlyList<string> ConnmgrOutSpecs { get; init; } = ["tcp://127.0.0.1:14502"];

    /// <summary><c>[handler] connection_subscription_max</c>.</summary>
    public int ConnectionSubscriptionMax { get; init; } = 20;

    /// <summary><c>[handler] stats_spec</c>: the stats PUB bind (consumers watch it); null = no stats.</summary>
    public string? StatsSpec { get; init; }

    /// <summary><c>[handler] stats_format</c>: tnetstring (default) or json.</summary>
    public StatsFormat StatsFormat { get; init; } = StatsFormat.TnetString;

    /// <summary><c>[handler] proxy_stats_specs</c>: SUB connects to the proxy's stats PUB, merged into ours.</summary>
    public IReadOnlyList<string> ProxyStatsSpecs { get; init; } = [];

    /// <summary><c>proxy_ws_control_init_specs</c>: PULL connect, the proxy's first ws-control item per connection.</summary>
    public IReadOnlyList<string> ProxyWsControlInitSpecs { get; init; } = [];

    /// <summary><c>proxy_ws_control_stream_specs</c>: ROUTER connect (identity = instance id), the rest of ws-control.</summary>
    public IReadOnlyList<string> ProxyWsControlStreamSpecs { get; init; } = [];

    /// <summary>
    /// <c>[global] stats_connection_ttl</c>, <c>stats_connection_send</c>, <c>[handler]
    /// stats_subscription_ttl</c>, <c>subscription_linger</c>, <c>stats_report_interval</c>.
    /// </summary>
    public StatsAggregatorOptions Stats { get; init; } = new();

    /// <summary><c>[handler] proxy_retry_out_specs</c>: ROUTER connects to the proxy's retry ROUTER; empty = no retries.</summary>
    public IReadOnlyList<string> ProxyRetryOutSpecs { get; init; } = [];

    /// <summary>
    /// <c>[handler] proxy_intreq_out_specs</c>, <c>proxy_intreq_out_stream_specs</c>,
    /// <c>proxy_intreq_in_specs</c>: the requester sockets toward the proxy's intreq side (next
    /// links, gone links); any empty = links are not followed.
    /// </summary>
    public IReadOnlyList<string> ProxyIntreqOutSpecs { get; init; } = [];

    /// <summary>See <see cref="ProxyIntreqOutSpecs"/>.</summary>
    public IReadOnlyList<string> ProxyIntreqOutStreamSpecs { get; init; } = [];

    /// <summary>See <see cref="ProxyIntreqOutSpecs"/>.</summary>
    public IReadOnlyList<string> ProxyIntreqInSpecs { get; init; } = [];

    /// <summary><c>[handler] proxy_command_spec</c>: zrpc DEALER to the proxy's command socket (conncheck, refresh); empty = none.</summary>
    public IReadOnlyList<string> ProxyCommandSpecs { get; init; } = [];

    /// <summary>Delivery settings: message_rate, message_hwm, message_block_size, message_wait, id_cache_ttl, update_on_first_subscription, subscription_linger.</summary>
    public HandlerEngineOptions Engine { get; init; } = new();

    /// <summary><c>[handler] prometheus_port</c>: <c>PORT</c>, <c>ADDR:PORT</c>; null = no metrics endpoint.</summary>
    public string? PrometheusPort { get; init; }

    /// <summary><c>[handler] prometheus_prefix</c>, prepended to every metric name.</summary>
    public string PrometheusPrefix { get; init; } = string.Empty;

    /// <summary>Reads the handler's keys; absent external specs get upstream's defaults shifted by port_offset.</summary>
    public static HandlerOptions FromConfig(PushpinConfig config)
    {
        var offset = config.PortOffset;
        string Spec(string key, int port) => config.GetSocketSpec("handler", key) ?? $"tcp://127.0.0.1:{port + offset}";
        IReadOnlyList<string> Specs(string section, string key, string fallbackSection)
        {
            var specs = config.GetSocketSpecs(section, key);
            return specs.Count > 0 ? specs : config.GetSocketSpecs(fallbackSection, key);
        }

        var subSpecs = new List<string>(config.GetSocketSpecs("handler", "push_in_sub_specs"));
        foreach (var legacy in config.GetSocketSpecs("handler", "push_in_sub_spec"))
        {
            if (!subSpecs.Contains(legacy))
            {
                subSpecs.Add(legacy);
            }
        }
        if (subSpecs.Count == 0)
        {
            subSpecs.Add($"tcp://127.0.0.1:{5562 + offset}");
        }
        var subConnect = config.GetBool("handler", "push_in_sub_connect", false);
        var statsFormat = config.GetString("handler", "stats_format", "tnetstring").Trim().ToLowerInvariant() switch
        {
            "" or "tnetstring" => StatsFormat.TnetString,
            "json" => StatsFormat.Json,
            var other => throw config.Error("handler", "stats_format", $"'{other}' is not a stats format (tnetstring or json)"),
        };
        TimeSpan Seconds(string section, string key, int fallback) => TimeSpan.FromSeconds(Math.Max(0, config.GetInt(section, key, fallback)));
        return new HandlerOptions
        {
            StatsSpec = Spec("stats_spec", 5564),
            StatsFormat = statsFormat,
            ProxyStatsSpecs = config.GetSocketSpecs("handler", "proxy_stats_specs"),
            Stats = new StatsAggregatorOptions
            {
                ConnectionTtl = Seconds("global", "stats_connection_ttl", 120),
                ConnectionSend = config.GetBool("global", "stats_connection_send", true),
                SubscriptionTtl = Seconds("handler", "stats_subscription_ttl", 60),
                SubscriptionLinger = Seconds("handler", "subscription_linger", 60),
                ReportInterval = Seconds("handler", "stats_report_interval", 10),
            },
            PushInSpec = Spec("push_in_spec", 5560),
            PushInSubSpec = subConnect ? null : subSpecs[0],
            PushInSubSpecs = subSpecs,
            PushInSubConnect = subConnect,
            PushInHttpAddr = config.GetString("handler", "push_in_http_addr", "127.0.0.1"),
            PushInHttpPort = config.Contains("handler", "push_in_http_port") ? config.GetPort("handler", "push_in_http_port", 5561) : 5561 + offset,
            PushInHttpMaxHeadersSize = config.GetInt("handler", "push_in_http_max_headers_size", 10_000),
            PushInHttpMaxBodySize = config.GetInt("handler", "push_in_http_max_body_size", 1_000_000),
            CommandSpec = Spec("command_spec", 5563),
            ProxyAcceptSpecs = config.GetSocketSpecs("handler", "proxy_accept_specs"),
            ProxyInspectSpecs = config.GetSocketSpecs("handler", "proxy_inspect_specs"),
            ShareAll = config.GetBool("handler", "share_all", false),
            ProxyWsControlInitSpecs = config.GetSocketSpecs("handler", "proxy_ws_control_init_specs"),
            ProxyWsControlStreamSpecs = config.GetSocketSpecs("handler", "proxy_ws_control_stream_specs"),
            ConnmgrInStreamSpecs = Specs("proxy", "connmgr_in_stream_specs", "handler"),
            ConnmgrOutSpecs = Specs("proxy", "connmgr_out_specs", "handler"),
            ConnectionSubscriptionMax = config.GetInt("handler", "connection_subscription_max", 20),
            ProxyRetryOutSpecs = config.GetSocketSpecs("handler", "proxy_retry_out_specs"),
            ProxyCommandSpecs = config.GetSocketSpecs("handler", "proxy_command_spec"),
            ProxyIntreqOutSpecs = config.GetSocketSpecs("handler", "proxy_intreq_out_specs"),
            ProxyIntreqOutStreamSpecs = config.GetSocketSpecs("handler", "proxy_intreq_out_stream_specs"),
            ProxyIntreqInSpecs = config.GetSocketSpecs("handler", "proxy_intreq_in_specs"),
            Engine = new HandlerEngineOptions
            {
                MessageRate = Math.Max(0, config.GetInt("handler", "message_rate", 0)),
                MessageHwm = Math.Max(0, config.GetInt("handler", "message_hwm", 0)),
                MessageBlockSize = Math.Max(0, config.GetInt("handler", "message_block_size", 0)),
                MessageWaitMs = Math.Max(0, config.GetInt("handler", "message_wait", 5000)),
                IdCacheTtlSeconds = Math.Max(0, config.GetInt("handler", "id_cache_ttl", 0)),
                UpdateOnFirstSubscription = config.GetBool("handler", "update_on_first_subscription", true),
                SubscriptionLinger = Seconds("handler", "subscription_linger", 60),
            },
            PrometheusPort = config.GetString("handler", "prometheus_port", string.Empty).Trim() is { Length: > 0 } pp ? pp : null,
            PrometheusPrefix = config.GetString("handler", "prometheus_prefix", string.Empty).Trim(),
        };
    }
}
