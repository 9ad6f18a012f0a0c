using Microsoft.Extensions.Logging;
using Pushpin.Common.Config;

namespace Pushpin.Common.Hosting;

/// <summary>What a daemon's run delegate gets from <see cref="DaemonHost"/>.</summary>
public sealed class DaemonContext
{
    private readonly List<Action> _hangupHandlers = [];
    private readonly Lock _gate = new();

    internal DaemonContext(string name, DaemonArguments arguments, PushpinConfig config, ILoggerFactory loggerFactory, IServiceProvider services)
    {
        Name = name;
        Arguments = arguments;
        Config = config;
        LoggerFactory = loggerFactory;
        Services = services;
        Logger = loggerFactory.CreateLogger(name);
    }

    /// <summary>Short name (connmgr, proxy, handler).</summary>
    public string Name { get; }

    public DaemonArguments Arguments { get; }

    /// <summary>Loaded and validated, with <c>--port-offset</c>/<c>--ipc-prefix</c> applied.</summary>
    public PushpinConfig Config { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>A logger named after the daemon.</summary>
    public ILogger Logger { get; }

    /// <summary>The generic host's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>
    /// Runs <paramref name="handler"/> on SIGHUP (the runner forwards it; upstream's proxy reloads
    /// routes and daemons reopen log files). Called on a thread-pool thread.
    /// </summary>
    public void OnHangup(Action handler)
    {
        lock (_gate)
        {
            _hangupHandlers.Add(handler);
        }
    }

    internal void RaiseHangup()
    {
        Action[] handlers;
        lock (_gate)
        {
            handlers = [.. _hangupHandlers];
        }
        foreach (var h in handlers)
        {
            try
            {
                h();
            }
            catch (Exception e)
            {
                Logger.LogError(e, "SIGHUP handler failed");
            }
        }
    }
}
