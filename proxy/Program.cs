using Microsoft.Extensions.Logging;
using Pushpin.Common.Hosting;
using Pushpin.Common.Stats;
using Pushpin.Common.Transport;
using Pushpin.Proxy.Routing;
using Pushpin.Proxy.Sessions;

namespace Pushpin.Proxy;

/// <summary>pushpin-proxy: routes client requests, forwards them, hands GRIP responses to the handler.</summary>
public static class Program
{
    private const string Usage = """
          (pushpin-proxy reads [proxy] from the config: routesfile, debug, sig_iss, sig_key,
           upstream_key, x_forwarded_for[_trusted], set_x_forwarded_protocol,
           accept_x_forwarded_protocol, accept_pushpin_route, cdn_loop, orig_headers_need_mark,
           accept_timeout_ms, auto_cross_origin, log_from, log_user_agent, stats_spec,
           stats_report_interval, stats_connections_max_ttl, and the connmgr_*,
           handler_accept_spec, handler_inspect_spec, handler_retry_in_spec and intreq_* specs.)

        """;

    public static int Main(string[] args) =>
        DaemonHost.RunAsync("proxy", args, RunAsync, new DaemonHostOptions { Usage = Usage }).GetAwaiter().GetResult();

    private static async Task RunAsync(DaemonContext context, CancellationToken cancellationToken)
    {
        var options = ProxyConfigReader.Read(context.Config, context.Arguments);
        var logger = context.LoggerFactory.CreateLogger("proxy");
        using var routes = new RoutesProvider(options.RoutesFile, options.RouteLines, logger);
        routes.Start();
        context.OnHangup(routes.Reload);
        StatsPublisher? statsPublisher;
        try
        {
            statsPublisher = options.StatsSpec is null ? null : new StatsPublisher(options.StatsSpec, StatsFormat.TnetString, context.LoggerFactory.CreateLogger("proxy.stats"));
        }
        catch (SocketBindException e)
        {
            throw new DaemonFatalException(e.Message, e);
        }
        using var statsPublisherScope = statsPublisher;
        statsPublisher?.Start();
        using var stats = statsPublisher is null ? null : new StatsAggregator(options.Stats, statsPublisher.Publish);
        var engine = new ProxyEngine(options, routes, logger) { Stats = stats };
        try
        {
            engine.Start();
        }
        catch (SocketBindException e)
        {
            await engine.DisposeAsync();
            throw new DaemonFatalException(e.Message, e);
        }
        LogStarted(logger, options.InstanceId);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM/SIGINT: stop cleanly.
        }
        finally
        {
            await engine.DisposeAsync();
        }
    }

    private static void LogStarted(ILogger logger, string id) =>
        logger.LogInformation("started (id {Id})", id);
}
