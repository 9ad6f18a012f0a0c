using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Transport;
using Pushpin.Connmgr.Client;
using Pushpin.Connmgr.Server;

namespace Pushpin.Connmgr;

/// <summary>pushpin-connmgr: the HTTP server in front of the proxy, and the outbound HTTP client behind it.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ConnmgrArguments parsed;
        try
        {
            parsed = ConnmgrArguments.Parse(args);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"pushpin-connmgr: {ex.Message}");
            return 2;
        }
        if (parsed.Help)
        {
            Console.Out.WriteLine(ConnmgrArguments.Usage);
            return 0;
        }
        if (parsed.Listen.Count > 0 && parsed.ZclientStream is null)
        {
            Console.Error.WriteLine("pushpin-connmgr: --listen needs --zclient-stream");
            return 2;
        }
        if (parsed.Listen.Count == 0 && parsed.ZserverStream is null)
        {
            Console.Error.WriteLine("pushpin-connmgr: nothing to do (give --listen and --zclient-stream, and/or --zserver-stream)");
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(b => b
            .SetMinimumLevel(ToLevel(parsed.LogLevel))
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            }));
        var logger = loggerFactory.CreateLogger("connmgr");
        try
        {
            return RunAsync(parsed, logger).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is SocketBindException or InvalidOperationException or ArgumentException)
        {
            // Start-up failures (port in use, bad spec) are one line, not a stack trace.
            var message = ex is ArgumentException { ParamName: { } param } ? ex.Message.Replace($" (Parameter '{param}')", string.Empty, StringComparison.Ordinal) : ex.Message;
            if (ex is SocketBindException { InnerException: NetMQ.AddressAlreadyInUseException })
            {
                message = message.Replace("Exception of type 'NetMQ.AddressAlreadyInUseException' was thrown.", "address already in use", StringComparison.Ordinal);
            }
            Console.Error.WriteLine($"pushpin-connmgr: {message}");
            return 1;
        }
    }

    private static async Task<int> RunAsync(ConnmgrArguments args, ILogger logger)
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });

        HttpServer? server = null;
        HttpClientMode? client = null;
        try
        {
            if (args.Listen.Count > 0)
            {
                server = new HttpServer(
                    new ServerOptions
                    {
                        Listen = args.Listen,
                        ZhttpBase = args.ZclientStream!,
                        InstanceId = args.Id,
                        BufferSize = args.BufferSize,
                        MaxConnections = args.StreamMaxConnections,
                        HeaderTimeout = TimeSpan.FromSeconds(args.HeaderTimeoutSeconds),
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
                    },
                    logger);
            }
            server?.Start();
            client?.Start();
            logger.LogInformation("started");
            await stop.Task.ConfigureAwait(false);
            logger.LogInformation("stopping");
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
        return 0;
    }

    private static LogLevel ToLevel(int level) => level switch
    {
        0 => LogLevel.Error,
        1 => LogLevel.Warning,
        2 => LogLevel.Information,
        3 => LogLevel.Debug,
        _ => LogLevel.Trace,
    };
}
