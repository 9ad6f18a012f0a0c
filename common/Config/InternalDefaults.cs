namespace Pushpin.Common.Config;

/// <summary>
/// Our replacement for upstream's <c>{libdir}/internal.conf</c>: the internal socket specs, all
/// tcp on loopback (NetMQ's ipc is TCP in disguise and cannot reach libzmq ipc peers), laid out as
/// in docs/designs/topology.md. Each entry also records upstream's ipc value for the key, so a file
/// that spells out upstream's default gets ours instead of an ipc refusal.
/// </summary>
public static class InternalDefaults
{
    /// <summary>The handler's stats PUB: upstream uses ipc there, we use this tcp address.</summary>
    public const string HandlerStatsSpec = "tcp://127.0.0.1:5564";

    private static readonly (string Section, string Key, int Port, string UpstreamName)[] Specs =
    [
        ("proxy", "connmgr_in_specs", 14500, "connmgr-out"),
        ("proxy", "connmgr_in_stream_specs", 14501, "connmgr-out-stream"),
        ("proxy", "connmgr_out_specs", 14502, "connmgr-in"),
        ("proxy", "connmgr_client_out_specs", 14505, "connmgr-client-in"),
        ("proxy", "connmgr_client_out_stream_specs", 14506, "connmgr-client-in-stream"),
        ("proxy", "connmgr_client_in_specs", 14507, "connmgr-client-out"),
        ("proxy", "handler_inspect_spec", 14600, "inspect"),
        ("proxy", "handler_accept_spec", 14601, "accept"),
        ("proxy", "handler_retry_in_spec", 14602, "retry"),
        ("proxy", "handler_ws_control_init_specs", 14603, "ws-control-init"),
        ("proxy", "handler_ws_control_stream_specs", 14604, "ws-control-stream"),
        ("proxy", "stats_spec", 14605, "proxy-stats"),
        ("proxy", "command_spec", 14606, "proxy-command"),
        ("proxy", "intreq_in_specs", 14607, "intreq-in"),
        ("proxy", "intreq_in_stream_specs", 14608, "intreq-in-stream"),
        ("proxy", "intreq_out_specs", 14609, "intreq-out"),
        ("handler", "proxy_inspect_specs", 14600, "inspect"),
        ("handler", "proxy_accept_specs", 14601, "accept"),
        ("handler", "proxy_retry_out_specs", 14602, "retry"),
        ("handler", "proxy_ws_control_init_specs", 14603, "ws-control-init"),
        ("handler", "proxy_ws_control_stream_specs", 14604, "ws-control-stream"),
        ("handler", "proxy_stats_specs", 14605, "proxy-stats"),
        ("handler", "proxy_command_spec", 14606, "proxy-command"),
        ("handler", "proxy_intreq_out_specs", 14607, "intreq-in"),
        ("handler", "proxy_intreq_out_stream_specs", 14608, "intreq-in-stream"),
        ("handler", "proxy_intreq_in_specs", 14609, "intreq-out"),
        ("handler", "connmgr_in_stream_specs", 14501, "connmgr-out-stream"),
        ("handler", "connmgr_out_specs", 14502, "connmgr-in"),
    ];

    /// <summary>(section, key) → our default value, before port_offset.</summary>
    public static IReadOnlyDictionary<(string Section, string Key), string> Values { get; } = BuildValues();

    private static readonly Dictionary<(string, string), string[]> UpstreamValues = BuildUpstream();

    /// <summary>
    /// When <paramref name="raw"/> is upstream's stock ipc value for this key (as written in its
    /// internal.conf or shipped pushpin.conf, unexpanded), returns our tcp value for it.
    /// </summary>
    public static bool TryMapUpstreamDefault(string section, string key, string raw, out string ours)
    {
        ours = string.Empty;
        if (UpstreamValues.TryGetValue((section, key), out var candidates) && candidates.Contains(raw.Trim(), StringComparer.Ordinal))
        {
            ours = Values[(section, key)];
            return true;
        }
        return false;
    }

    private static Dictionary<(string, string), string> BuildValues()
    {
        var values = new Dictionary<(string, string), string>();
        foreach (var (section, key, port, _) in Specs)
        {
            values[(section, key)] = $"tcp://127.0.0.1:{port}";
        }
        values[("handler", "stats_spec")] = HandlerStatsSpec;
        return values;
    }

    private static Dictionary<(string, string), string[]> BuildUpstream()
    {
        var values = new Dictionary<(string, string), string[]>();
        foreach (var (section, key, _, name) in Specs)
        {
            values[(section, key)] = [$"ipc://{{rundir}}/{{ipc_prefix}}{name}"];
        }
        values[("handler", "stats_spec")] = ["ipc://{rundir}/{ipc_prefix}stats"];
        return values;
    }
}
