namespace Pushpin.Common.Config;

/// <summary>
/// Every section and key upstream Pushpin reads (HEAD and 1.36), with the kind of value. Used to
/// warn about unknown keys (usually typos) and to validate a whole file before any daemon starts.
/// </summary>
public static class KnownKeys
{
    private static readonly Dictionary<string, Dictionary<string, KeyKind>> Table = Build();

    /// <summary>The sections upstream uses.</summary>
    public static IEnumerable<string> Sections => Table.Keys;

    /// <summary>True (and the kind) when <paramref name="key"/> is a key upstream reads in <paramref name="section"/>.</summary>
    public static bool TryGetKind(string section, string key, out KeyKind kind)
    {
        kind = KeyKind.Text;
        return Table.TryGetValue(section, out var keys) && keys.TryGetValue(key, out kind);
    }

    public static bool IsSection(string section) => Table.ContainsKey(section);

    /// <summary>All keys of a section with their kinds.</summary>
    public static IReadOnlyDictionary<string, KeyKind> KeysOf(string section) =>
        Table.TryGetValue(section, out var keys) ? keys : new Dictionary<string, KeyKind>();

    private static Dictionary<string, Dictionary<string, KeyKind>> Build()
    {
        var global = new Dictionary<string, KeyKind>(StringComparer.Ordinal)
        {
            ["include"] = KeyKind.Text,
            ["rundir"] = KeyKind.Text,
            ["libdir"] = KeyKind.Text,
            ["ipc_prefix"] = KeyKind.Text,
            ["port_offset"] = KeyKind.Int,
            ["stats_connection_ttl"] = KeyKind.Int,
            ["stats_connection_send"] = KeyKind.Bool,
        };
        var runner = new Dictionary<string, KeyKind>(StringComparer.Ordinal)
        {
            ["rundir"] = KeyKind.Text,
            ["services"] = KeyKind.Services,
            ["http_port"] = KeyKind.ListenPorts,
            ["https_ports"] = KeyKind.ListenPorts,
            ["local_ports"] = KeyKind.Text,
            ["logdir"] = KeyKind.Text,
            ["log_level"] = KeyKind.LogLevel,
            ["client_buffer_size"] = KeyKind.Int,
            ["client_maxconn"] = KeyKind.Int,
            ["allow_compression"] = KeyKind.Bool,
            ["mongrel2_bin"] = KeyKind.Obsolete,
            ["m2sh_bin"] = KeyKind.Obsolete,
            ["zurl_bin"] = KeyKind.Obsolete,
            ["condure_bin"] = KeyKind.Obsolete,
        };
        var proxy = new Dictionary<string, KeyKind>(StringComparer.Ordinal)
        {
            ["routesfile"] = KeyKind.Text,
            ["debug"] = KeyKind.Bool,
            ["auto_cross_origin"] = KeyKind.Bool,
            ["accept_x_forwarded_protocol"] = KeyKind.Bool,
            ["set_x_forwarded_protocol"] = KeyKind.Text,
            ["x_forwarded_for"] = KeyKind.Text,
            ["x_forwarded_for_trusted"] = KeyKind.Text,
            ["orig_headers_need_mark"] = KeyKind.Text,
            ["accept_pushpin_route"] = KeyKind.Bool,
            ["cdn_loop"] = KeyKind.Text,
            ["log_from"] = KeyKind.Bool,
            ["log_user_agent"] = KeyKind.Bool,
            ["sig_iss"] = KeyKind.Text,
            ["sig_key"] = KeyKind.Text,
            ["upstream_key"] = KeyKind.Text,
            // Ours: how long the proxy waits for the handler to accept a GRIP session.
            ["accept_timeout_ms"] = KeyKind.Int,
            ["sockjs_url"] = KeyKind.Text,
            ["workers"] = KeyKind.Int,
            ["max_open_requests"] = KeyKind.Int,
            ["stats_connections_max_ttl"] = KeyKind.Int,
            ["stats_report_interval"] = KeyKind.Int,
            ["prometheus_port"] = KeyKind.Text,
            ["prometheus_prefix"] = KeyKind.Text,
            ["ipc_file_mode"] = KeyKind.Text,
            ["updates_check"] = KeyKind.Obsolete,
            ["organization_name"] = KeyKind.Obsolete,
            ["connmgr_in_specs"] = KeyKind.Sockets,
            ["connmgr_in_stream_specs"] = KeyKind.Sockets,
            ["connmgr_out_specs"] = KeyKind.Sockets,
            ["connmgr_client_out_specs"] = KeyKind.Sockets,
            ["connmgr_client_out_stream_specs"] = KeyKind.Sockets,
            ["connmgr_client_in_specs"] = KeyKind.Sockets,
            ["condure_in_specs"] = KeyKind.Sockets,
            ["condure_in_stream_specs"] = KeyKind.Sockets,
            ["condure_out_specs"] = KeyKind.Sockets,
            ["condure_client_out_specs"] = KeyKind.Sockets,
            ["condure_client_out_stream_specs"] = KeyKind.Sockets,
            ["condure_client_in_specs"] = KeyKind.Sockets,
            ["m2a_in_specs"] = KeyKind.UnusedSockets,
            ["m2a_in_stream_specs"] = KeyKind.UnusedSockets,
            ["m2a_out_specs"] = KeyKind.UnusedSockets,
            ["zurl_out_specs"] = KeyKind.UnusedSockets,
            ["zurl_out_stream_specs"] = KeyKind.UnusedSockets,
            ["zurl_in_specs"] = KeyKind.UnusedSockets,
            ["handler_inspect_spec"] = KeyKind.Sockets,
            ["handler_accept_spec"] = KeyKind.Sockets,
            ["handler_retry_in_spec"] = KeyKind.Sockets,
            ["handler_ws_control_init_specs"] = KeyKind.Sockets,
            ["handler_ws_control_stream_specs"] = KeyKind.Sockets,
            ["handler_ws_control_in_spec"] = KeyKind.UnusedSockets,
            ["handler_ws_control_out_spec"] = KeyKind.UnusedSockets,
            ["stats_spec"] = KeyKind.Sockets,
            ["command_spec"] = KeyKind.Sockets,
            ["intreq_in_specs"] = KeyKind.Sockets,
            ["intreq_in_stream_specs"] = KeyKind.Sockets,
            ["intreq_out_specs"] = KeyKind.Sockets,
        };
        var handler = new Dictionary<string, KeyKind>(StringComparer.Ordinal)
        {
            ["ipc_file_mode"] = KeyKind.Text,
            ["push_in_spec"] = KeyKind.Sockets,
            ["push_in_sub_specs"] = KeyKind.Sockets,
            ["push_in_sub_spec"] = KeyKind.Sockets,
            ["push_in_sub_connect"] = KeyKind.Bool,
            ["push_in_http_addr"] = KeyKind.Text,
            ["push_in_http_port"] = KeyKind.Port,
            ["push_in_http_max_headers_size"] = KeyKind.Int,
            ["push_in_http_max_body_size"] = KeyKind.Int,
            ["stats_spec"] = KeyKind.Sockets,
            ["command_spec"] = KeyKind.Sockets,
            ["state_spec"] = KeyKind.Sockets,
            ["share_all"] = KeyKind.Bool,
            ["message_rate"] = KeyKind.Int,
            ["message_hwm"] = KeyKind.Int,
            ["message_block_size"] = KeyKind.Int,
            ["message_wait"] = KeyKind.Int,
            ["id_cache_ttl"] = KeyKind.Int,
            ["update_on_first_subscription"] = KeyKind.Bool,
            ["connection_subscription_max"] = KeyKind.Int,
            ["subscription_linger"] = KeyKind.Int,
            ["stats_subscription_ttl"] = KeyKind.Int,
            ["stats_report_interval"] = KeyKind.Int,
            ["stats_format"] = KeyKind.Text,
            ["prometheus_port"] = KeyKind.Text,
            ["prometheus_prefix"] = KeyKind.Text,
            ["proxy_inspect_specs"] = KeyKind.Sockets,
            ["proxy_accept_specs"] = KeyKind.Sockets,
            ["proxy_retry_out_specs"] = KeyKind.Sockets,
            ["proxy_ws_control_init_specs"] = KeyKind.Sockets,
            ["proxy_ws_control_stream_specs"] = KeyKind.Sockets,
            ["proxy_stats_specs"] = KeyKind.Sockets,
            ["proxy_command_spec"] = KeyKind.Sockets,
            ["proxy_intreq_out_specs"] = KeyKind.Sockets,
            ["proxy_intreq_out_stream_specs"] = KeyKind.Sockets,
            ["proxy_intreq_in_specs"] = KeyKind.Sockets,
            ["connmgr_in_stream_specs"] = KeyKind.Sockets,
            ["connmgr_out_specs"] = KeyKind.Sockets,
            ["condure_in_stream_specs"] = KeyKind.Sockets,
            ["condure_out_specs"] = KeyKind.Sockets,
            ["m2a_in_stream_specs"] = KeyKind.UnusedSockets,
            ["m2a_out_specs"] = KeyKind.UnusedSockets,
            // 1.36 names (single-spec forms); our daemons read the plural HEAD keys.
            ["proxy_inspect_spec"] = KeyKind.UnusedSockets,
            ["proxy_accept_spec"] = KeyKind.UnusedSockets,
            ["proxy_retry_out_spec"] = KeyKind.UnusedSockets,
            ["proxy_stats_spec"] = KeyKind.UnusedSockets,
            ["proxy_ws_control_in_spec"] = KeyKind.UnusedSockets,
            ["proxy_ws_control_out_spec"] = KeyKind.UnusedSockets,
        };
        return new Dictionary<string, Dictionary<string, KeyKind>>(StringComparer.Ordinal)
        {
            ["global"] = global,
            ["runner"] = runner,
            ["proxy"] = proxy,
            ["handler"] = handler,
        };
    }
}
