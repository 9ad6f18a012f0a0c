using Microsoft.Extensions.Logging;
using Pushpin.Common.Hosting;
using Pushpin.Common.Transport;
using Pushpin.Connmgr.Client;
using Pushpin.Connmgr.Server;

namespace Pushpin.Connmgr;

/// <summary>pushpin-connmgr: the HTTP server in front of the proxy, and the outbound HTTP client behind it.</summary>
public static class Program
{
    private static readonly DaemonHostOptions HostOptions = new()
    {
        // connmgr is configured by its command line alone, as upstream's runner starts it.
        NoConfigSearch = true,
        ValueOptions = ConnmgrArguments.ValueOptions,
        KnownOptions = ConnmgrArguments.KnownOptions,
        Usage = ConnmgrArguments.Usage,
    };

    public static int Main(string[] args)
    {
        // The command line is checked before the host starts so a bad one exits 2 (DaemonHost
        // would say 1), with one line on standard error.
        ConnmgrArguments? parsed = null;
        try
        {
            var common = DaemonArguments.Parse(args, ConnmgrArguments.ValueOptions);
            if (!common.PrintOnly)
            {
                parsed = ConnmgrArguments.From(common);
            }
        }
        catch (Exception ex) when (ex is DaemonUsageException or FormatException)
        {
            Console.Error.WriteLine($"pushpin-connmgr: {ex.Message}");
            return 2;
        }
        return DaemonHost.Run("connmgr", args, (context, ct) => RunAsync(parsed!, context, ct), HostOptions);
    }

    private static async Task RunAsync(ConnmgrArguments args, DaemonContext context, CancellationToken stopping)
    {
        var logger = context.Logger;
        HttpServer? server = null;
        HttpClientMode? client = null;
        try
        {
            try
            {
                if (args.Listen.Count > 0)
                {
                    server = new HttpServer(
                        new ServerOptions
                        {
                            Listen = args.Listen,
                            ZhttpBase = args.ZclientStream,
                            ZhttpReqSpecs = args.ZclientReq,
                            ReqTimeout = TimeSpan.FromSeconds(args.ReqTimeoutSeconds),
                            BodyBufferSize = args.BodyBufferSize,
                            ReqMaxConnections = args.ReqMaxConnections,
                            InstanceId = args.Id,
                            BufferSize = args.BufferSize,
                            MaxConnections = args.StreamMaxConnections,
                            Compression = args.Compression,
                            TlsIdentitiesDir = args.TlsIdentitiesDir,
                            HeaderTimeout = TimeSpan.FromSeconds(args.HeaderTimeoutSeconds),
                            IdleTimeout = TimeSpan.FromSeconds(args.IdleTimeoutSeconds),
                        },
                        logger);
                }
                if (args.ZserverStream is not null)
                {
                    client = new HttpClientMode(
                        new ClientOptions
                        {
                            ZhttpBase = args.ZserverStream,
                            InstanceId = args.Id,
                            BufferSize = args.BufferSize,
                            DenyOutInternal = args.DenyOutInternal,
                            Compression = args.Compression,
                            StreamTimeout = TimeSpan.FromSeconds(args.StreamTimeoutSeconds),
                        },
                        logger);
                }
                server?.Start();
                client?.Start();
            }
            catch (Exception ex) when (ex is SocketBindException or InvalidOperationException or ArgumentException)
            {
                // Port in use, bad spec: one line, exit 1.
                throw new DaemonFatalException(StartupMessage(ex), ex);
            }
            LogStarted(logger, args.Id);
            try
            {
                await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM/SIGINT, or the runner went away.
            }
            LogStopping(logger);
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            NetMQ.NetMQConfig.Cleanup(block: false);
        }
    }

    private static string StartupMessage(Exception ex)
    {
        var message = ex is ArgumentException { ParamName: { } param } ? ex.Message.Replace($" (Parameter '{param}')", string.Empty, StringComparison.Ordinal) : ex.Message;
        if (ex is SocketBindException { InnerException: NetMQ.AddressAlreadyInUseException })
        {
            message = message.Replace("Exception of type 'NetMQ.AddressAlreadyInUseException' was thrown.", "address already in use", StringComparison.Ordinal);
        }
        return message;
    }

    private static void LogStarted(ILogger logger, string id) => logger.LogInformation("started (id {Id})", id);

    private static void LogStopping(ILogger logger) => logger.LogInformation("stopping");
}
