using Pushpin.Common.Config;
using Pushpin.Common.Hosting;
using Pushpin.Common.Stats;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Signing;

namespace Pushpin.Proxy;

/// <summary>Reads the <c>[proxy]</c> section (and the command line) into <see cref="ProxyOptions"/>.</summary>
public static class ProxyConfigReader
{
    private const string Section = "proxy";

    public static ProxyOptions Read(PushpinConfig config, DaemonArguments arguments)
    {
        var baseDir = config.ConfigDirectory;
        var setXfp = config.GetString(Section, "set_x_forwarded_protocol").Trim();
        var routesFile = config.GetString(Section, "routesfile");
        var acceptTimeoutMs = config.GetInt(Section, "accept_timeout_ms", 5000);
        var instanceId = "proxy_" + Environment.ProcessId;
        TimeSpan Seconds(string section, string key, int fallback) => TimeSpan.FromSeconds(Math.Max(0, config.GetInt(section, key, fallback)));
        return new ProxyOptions
        {
            InstanceId = instanceId,
            StatsSpec = config.GetSocketSpec(Section, "stats_spec"),
            Stats = new StatsAggregatorOptions
            {
                InstanceId = instanceId,
                ConnectionTtl = Seconds("global", "stats_connection_ttl", 120),
                ConnectionSend = config.GetBool("global", "stats_connection_send", true),
                ReportInterval = Seconds(Section, "stats_report_interval", 10),
                ConnectionsMaxTtl = Seconds(Section, "stats_connections_max_ttl", 60),
            },
            ConnmgrInSpecs = Specs(config, "connmgr_in_specs"),
            ConnmgrInStreamSpecs = Specs(config, "connmgr_in_stream_specs"),
            ConnmgrOutSpecs = Specs(config, "connmgr_out_specs"),
            ConnmgrClientOutSpecs = Specs(config, "connmgr_client_out_specs"),
            ConnmgrClientOutStreamSpecs = Specs(config, "connmgr_client_out_stream_specs"),
            ConnmgrClientInSpecs = Specs(config, "connmgr_client_in_specs"),
            IntreqInSpecs = config.GetSocketSpecs(Section, "intreq_in_specs"),
            IntreqInStreamSpecs = config.GetSocketSpecs(Section, "intreq_in_stream_specs"),
            IntreqOutSpecs = config.GetSocketSpecs(Section, "intreq_out_specs"),
            HandlerInspectSpec = config.GetSocketSpec(Section, "handler_inspect_spec"),
            AutoCrossOrigin = config.GetBool(Section, "auto_cross_origin", false),
            HandlerRetryInSpec = config.GetSocketSpec(Section, "handler_retry_in_spec"),
            HandlerAcceptSpec = config.GetSocketSpec(Section, "handler_accept_spec") ?? throw config.Error(Section, "handler_accept_spec", "missing"),
            WsControlInitSpecs = config.GetSocketSpecs(Section, "handler_ws_control_init_specs"),
            WsControlStreamSpecs = config.GetSocketSpecs(Section, "handler_ws_control_stream_specs"),
            RoutesFile = routesFile.Length > 0 ? config.ResolvePath(routesFile) : null,
            RouteLines = arguments.Routes,
            Debug = config.GetBool(Section, "debug", false),
            SigIss = config.GetString(Section, "sig_iss", "pushpin"),
            SigKey = Key(config, "sig_key", baseDir),
            UpstreamKey = Key(config, "upstream_key", baseDir),
            AcceptXForwardedProtocol = config.GetBool(Section, "accept_x_forwarded_protocol", false),
            SetXForwardedProto = setXfp is "true" or "proto-only",
            SetXForwardedProtocol = setXfp == "true",
            XffUntrusted = XffRule.Parse(config.GetString(Section, "x_forwarded_for")),
            XffTrusted = XffRule.Parse(config.GetString(Section, "x_forwarded_for_trusted")),
            OrigHeadersNeedMark = config.GetList(Section, "orig_headers_need_mark"),
            AcceptPushpinRoute = config.GetBool(Section, "accept_pushpin_route", false),
            CdnLoop = config.GetString(Section, "cdn_loop"),
            LogFrom = config.GetBool(Section, "log_from", false),
            LogUserAgent = config.GetBool(Section, "log_user_agent", false),
            AcceptTimeout = TimeSpan.FromMilliseconds(Math.Max(acceptTimeoutMs, 1)),
        };
    }

    private static IReadOnlyList<string> Specs(PushpinConfig config, string key)
    {
        var specs = config.GetSocketSpecs(Section, key);
        return specs.Count > 0 ? specs : throw config.Error(Section, key, "missing");
    }

    private static GripSigningKey? Key(PushpinConfig config, string key, string baseDir)
    {
        try
        {
            return GripSigningKey.FromConfigString(config.GetString(Section, key), baseDir);
        }
        catch (FormatException e)
        {
            throw config.Error(Section, key, e.Message);
        }
    }
}
