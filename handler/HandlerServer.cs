using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Hosting;
using Pushpin.Common.Stats;
using Pushpin.Common.Transport;
using Pushpin.Common.Zhttp;
using Pushpin.Common.Zrpc;
using Pushpin.Handler.Inspect;
using Pushpin.Handler.Metrics;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Retry;
using Pushpin.Handler.Sessions;
using Pushpin.Handler.WebSockets;
using Pushpin.Common.WsControl;

namespace Pushpin.Handler;

/// <summary>
/// Wires the handler's sockets to its engine: zrpc accept (from the proxy), the zhttp responder
/// (toward connmgr), and the publish inputs (HTTP API, PULL, command socket).
/// </summary>
internal sealed partial class HandlerServer
{
    private readonly HandlerOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;

    public HandlerServer(HandlerOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("handler");
    }

    /// <summary>Set once every socket is bound and the engine runs (tests wait on it).</summary>
    public Task Ready => _ready.Task;

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs until <paramref name="ct"/> is cancelled. Bind failures throw <see cref="DaemonFatalException"/> naming the key.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var o = _options;
        using var responder = Create(() => new ZhttpResponder(o.InstanceId, new ZhttpEndpoints([], o.ConnmgrInStreamSpecs, o.ConnmgrOutSpecs, Bind: false), _loggers.CreateLogger("zhttp")));
        var counters = new HandlerCounters();
        var ctx = new SessionContext(o.InstanceId, new ResponderSender(responder), TimeProvider.System, _loggers.CreateLogger("handler.sessions")) { Counters = counters };
        var engine = new HandlerEngine(ctx, o.ConnectionSubscriptionMax, o.Engine);

        // Retries go back to the proxy that accepted the session.
        using var retry = o.ProxyRetryOutSpecs.Count == 0 ? null : Create(() => new RetryOutput(o.ProxyRetryOutSpecs, o.InstanceId, _loggers.CreateLogger("handler.retry")));
        if (retry is not null)
        {
            engine.RetrySender = retry.SendAsync;
        }
        // Next links and gone links: our own requests, served by the proxy's intreq sockets.
        using var intreq = o.ProxyIntreqOutSpecs.Count == 0 || o.ProxyIntreqOutStreamSpecs.Count == 0 || o.ProxyIntreqInSpecs.Count == 0 ? null
            : Create(() => new ZhttpRequester(o.InstanceId + "_intreq", new ZhttpEndpoints(o.ProxyIntreqOutSpecs, o.ProxyIntreqOutStreamSpecs, o.ProxyIntreqInSpecs, Bind: false), _loggers.CreateLogger("handler.intreq")));
        if (intreq is not null)
        {
            engine.Outbound = new RequesterSender(intreq);
        }
        using var proxyCommand = o.ProxyCommandSpecs.Count == 0 ? null : Create(() => new ZrpcClient(o.InstanceId, o.ProxyCommandSpecs, bind: false, _loggers.CreateLogger("zrpc"), "[handler] proxy_command_spec"));

        // Stats: our PUB (the socket consumers watch) and the proxy's stats merged into it.
        var totals = new StatsTotals();
        using var statsPublisher = o.StatsSpec is null ? null : Create(() => new StatsPublisher(o.StatsSpec, o.StatsFormat, _loggers.CreateLogger("handler.stats")));
        using var stats = statsPublisher is null ? null : new StatsAggregator(WithInstanceId(o.Stats, o.InstanceId), p =>
        {
            totals.Observe(p);
            statsPublisher.Publish(p);
        });
        using var proxyStats = stats is null || o.ProxyStatsSpecs.Count == 0 ? null : new StatsSubscriber(o.ProxyStatsSpecs, _loggers.CreateLogger("handler.stats"));
        engine.Stats = stats;

        void PublishItems(IReadOnlyList<PublishItem> items) => engine.Post(() => engine.Publish(items));

        // For the HTTP API: completes once the engine has handed the items to the sessions.
        Task PublishItemsAsync(IReadOnlyList<PublishItem> items)
        {
            var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            engine.Post(() =>
            {
                try
                {
                    engine.Publish(items);
                }
                finally
                {
                    delivered.TrySetResult();
                }
            });
            return delivered.Task;
        }
        void Recover() => engine.Post(engine.Recover);

        using var accept = Create(() => new ZrpcServer(o.ProxyAcceptSpecs, bind: false, _loggers.CreateLogger("zrpc"), "[handler] proxy_accept_specs"));
        using var inspect = o.ProxyInspectSpecs.Count == 0 ? null : Create(() => new ZrpcServer(o.ProxyInspectSpecs, bind: false, _loggers.CreateLogger("zrpc"), "[handler] proxy_inspect_specs"));
        using var command = o.CommandSpec is null ? null : Create(() => new ZrpcServer([o.CommandSpec], bind: true, _loggers.CreateLogger("zrpc"), "[handler] command_spec"));
        using var pull = o.PushInSpec is null ? null : Create(() => new PushInput(o.PushInSpec, item => engine.Post(() => engine.Publish(item)), _loggers.CreateLogger("handler.pull")));
        using var sub = o.PushInSubSpecs.Count == 0 ? null : Create(() => new SubInput(o.PushInSubSpecs, o.PushInSubConnect, item => engine.Post(() => engine.Publish(item)), _loggers.CreateLogger("handler.sub")));
        if (sub is not null)
        {
            engine.ChannelSubscriptionChanged = sub.SetSubscribed;
        }
        using var wsControl = o.ProxyWsControlInitSpecs.Count == 0 || o.ProxyWsControlStreamSpecs.Count == 0 ? null
            : Create(() => new WsControlTransport(o.InstanceId, o.ProxyWsControlInitSpecs, o.ProxyWsControlStreamSpecs, proxySide: false, _loggers.CreateLogger("handler.ws")));
        var wsSessions = wsControl is null ? null : new WsSessions(wsControl.SendTo, o.ConnectionSubscriptionMax, TimeProvider.System, _loggers.CreateLogger("handler.ws"));
        if (wsSessions is not null)
        {
            wsSessions.Stats = stats;
            wsSessions.ChannelSubscriptionChanged = sub is null ? null : sub.SetSubscribed;
            engine.WsSessions = wsSessions;
        }
        var commands = new CommandHandler(o.CommandSpec, o.PushInSpec, o.PushInSubSpec, PublishItems, Recover, _loggers.CreateLogger("handler.command"))
        {
            // Held here: our sessions, or any connection the stats know (WebSocket, the proxy's).
            CheckConnections = (ids, reply) => engine.Post(() =>
            {
                var alive = engine.ConnCheck(ids);
                foreach (var id in ids)
                {
                    if (!alive.Contains(id) && stats?.HasConnection(id) == true)
                    {
                        alive.Add(id);
                    }
                }
                reply(alive);
            }),
            CallProxy = proxyCommand is null ? null : (method, args) => proxyCommand.CallAsync(method, args, TimeSpan.FromSeconds(10)),
        };

        if (wsSessions is not null)
        {
            commands.Refresh = call => engine.Post(() => WsRefreshCommand.Handle(wsSessions, call));
        }

        ControlHttpServer? http = null;
        if (o.PushInHttpPort > 0)
        {
            var api = new ControlApi(PublishItemsAsync, Recover);
            if (!IPAddress.TryParse(o.PushInHttpAddr, out var address))
            {
                throw new DaemonFatalException($"[handler] push_in_http_addr: '{o.PushInHttpAddr}' is not an IP address");
            }
            http = new ControlHttpServer(address, o.PushInHttpPort, o.PushInHttpMaxHeadersSize, o.PushInHttpMaxBodySize, api.Handle, _loggers.CreateLogger("handler.http"));
            try
            {
                http.Start();
            }
            catch (SocketException ex)
            {
                throw DaemonFatalException.CannotBind($"{o.PushInHttpAddr}:{o.PushInHttpPort}", "handler", "push_in_http_port", ex.Message, ex);
            }
        }

        ControlHttpServer? metrics = null;
        if (o.PrometheusPort is not null)
        {
            metrics = StartMetrics(o, new PrometheusPage(o.PrometheusPrefix, totals, counters));
        }

        try
        {
            retry?.Start();
            proxyCommand?.Start();
            statsPublisher?.Start();
            proxyStats?.Start();
            responder.Start();
            accept.Start();
            inspect?.Start();
            command?.Start();
            pull?.Start();
            sub?.Start();
            wsControl?.Start();
            intreq?.Start();

            var engineTask = engine.RunAsync(ct);
            var pumps = new List<Task>
            {
                PumpAsync(accept.Calls, call => engine.Post(() => engine.HandleAcceptCall(call)), ct),
                PumpAsync(responder.Incoming, p => engine.Post(() => engine.HandlePacket(p)), ct),
            };
            if (inspect is not null)
            {
                // Answered on its own pump: inspect needs no engine state and never waits on it.
                pumps.Add(PumpAsync(inspect.Calls, call => call.Respond(InspectResponder.Answer(call.Request, o.ShareAll)), ct));
            }
            if (intreq is not null)
            {
                pumps.Add(PumpAsync(intreq.Incoming, p => engine.Post(() => engine.HandleOutboundPacket(p)), ct));
            }
            if (wsControl is not null)
            {
                pumps.Add(PumpAsync(wsControl.Incoming, p => engine.Post(() => wsSessions!.Handle(p)), ct));
            }
            if (proxyStats is not null)
            {
                pumps.Add(PumpAsync(proxyStats.Incoming, stats!.MergeFromPeer, ct));
            }
            if (command is not null)
            {
                pumps.Add(PumpAsync(command.Calls, commands.Handle, ct));
            }
            Log.Started(_logger, o.InstanceId, o.PushInSpec ?? "-", o.PushInHttpPort, o.CommandSpec ?? "-");
            _ready.TrySetResult();
            await engineTask.ConfigureAwait(false);
            await Task.WhenAll(pumps).ConfigureAwait(false);
            // The engine ended its held sessions on the way out: let those packets leave (bounded).
            await responder.DrainAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        finally
        {
            if (http is not null)
            {
                await http.DisposeAsync().ConfigureAwait(false);
            }
            if (metrics is not null)
            {
                await metrics.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // prometheus_port is PORT or ADDR:PORT (upstream: no address = every interface).
    private ControlHttpServer StartMetrics(HandlerOptions o, PrometheusPage page)
    {
        var spec = o.PrometheusPort!;
        var address = IPAddress.Any;
        var portText = spec;
        var colon = spec.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!IPAddress.TryParse(spec[..colon].Trim('[', ']'), out address!))
            {
                throw new DaemonFatalException($"[handler] prometheus_port: '{spec}' is not PORT or ADDR:PORT");
            }
            portText = spec[(colon + 1)..];
        }
        if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new DaemonFatalException($"[handler] prometheus_port: '{spec}' is not PORT or ADDR:PORT");
        }
        var server = new ControlHttpServer(address, port, 8192, 8192, _ => new ControlHttpResponse(200, "OK", page.Render()), _loggers.CreateLogger("handler.prometheus"));
        try
        {
            server.Start();
        }
        catch (SocketException ex)
        {
            throw DaemonFatalException.CannotBind(spec, "handler", "prometheus_port", ex.Message, ex);
        }
        return server;
    }

    private static StatsAggregatorOptions WithInstanceId(StatsAggregatorOptions o, string instanceId) => new()
    {
        InstanceId = instanceId,
        ConnectionTtl = o.ConnectionTtl,
        SubscriptionTtl = o.SubscriptionTtl,
        SubscriptionLinger = o.SubscriptionLinger,
        ConnectionLinger = o.ConnectionLinger,
        ReportInterval = o.ReportInterval,
        ConnectionSend = o.ConnectionSend,
        ConnectionsMaxSend = o.ConnectionsMaxSend,
        ConnectionsMaxTtl = o.ConnectionsMaxTtl,
    };

    private static T Create<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (SocketBindException ex)
        {
            throw new DaemonFatalException(ex.Message, ex);
        }
    }

    private async Task PumpAsync<T>(ChannelReader<T> reader, Action<T> handle, CancellationToken ct)
    {
        try
        {
            await foreach (var item in reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    handle(item);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Log.PumpFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "started as {Id} (pull {Pull}, http port {HttpPort}, command {Command})")]
        public static partial void Started(ILogger logger, string id, string pull, int httpPort, string command);

        [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "input handling failed")]
        public static partial void PumpFailed(ILogger logger, Exception ex);
    }
}
