using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Config;
using Pushpin.Runner.Settings;

namespace Pushpin.Runner.Supervision;

/// <summary>
/// Starts the children in order (connmgr, proxy, handler), restarts one that dies (with the
/// backoff of <see cref="CrashLoopPolicy"/>), gives up with exit code 1 on a crash loop, and on
/// SIGINT/SIGTERM stops the children: SIGTERM to all but connmgr first, to connmgr once they are
/// gone (or after half the grace period) so it can still write what the handler ends its held
/// sessions with, SIGKILL after <see cref="GracePeriod"/>, then exits 0. All state changes happen
/// on one loop fed by a channel.
/// </summary>
internal sealed partial class Supervisor : IDisposable
{
    private readonly Channel<SupervisorEvent> _events = Channel.CreateUnbounded<SupervisorEvent>();
    private readonly List<ServiceProcess> _services = [];
    private readonly CrashLoopPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private bool _stopping;
    private bool _frontStopping;
    private DateTimeOffset _stopRequestedAt;
    private int _exitCode;

    public Supervisor(IEnumerable<ServiceLaunch> launches, Action<string, string, bool> onLine, ILogger logger, CrashLoopPolicy? policy = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(launches);
        _logger = logger;
        _policy = policy ?? new CrashLoopPolicy();
        _time = time ?? TimeProvider.System;
        foreach (var launch in launches)
        {
            _services.Add(new ServiceProcess(launch, onLine, (s, code) => _events.Writer.TryWrite(new SupervisorEvent.Exited(s, code))));
        }
    }

    /// <summary>How long children get between SIGTERM and SIGKILL (upstream: 4 s).</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Asks for a clean stop (from a signal handler; any thread).</summary>
    public void RequestStop(string signal) => _events.Writer.TryWrite(new SupervisorEvent.StopRequested(signal));

    /// <summary>Forwards SIGHUP to proxy and handler (from a signal handler; any thread).</summary>
    public void Hangup() => _events.Writer.TryWrite(new SupervisorEvent.Hangup());

    /// <summary>Runs until everything has stopped; returns the runner's exit code.</summary>
    public async Task<int> RunAsync()
    {
        foreach (var service in _services)
        {
            if (_stopping)
            {
                break;
            }
            StartService(service);
        }
        while (!(_stopping && _services.TrueForAll(s => !s.Running)))
        {
            var ev = await _events.Reader.ReadAsync().ConfigureAwait(false);
            Handle(ev);
        }
        LogStopped(_logger);
        return _exitCode;
    }

    public void Dispose()
    {
        foreach (var s in _services)
        {
            s.Dispose();
        }
    }

    private void Handle(SupervisorEvent ev)
    {
        switch (ev)
        {
            case SupervisorEvent.Exited exited:
                OnExited(exited.Service, exited.ExitCode);
                break;
            case SupervisorEvent.RestartDue restart:
                if (!_stopping && !restart.Service.Running)
                {
                    StartService(restart.Service);
                }
                break;
            case SupervisorEvent.StopRequested stop:
                if (_stopping)
                {
                    // A second signal: do not wait any longer (as upstream). Copies that arrive
                    // together (timeout(1) signals both the runner and its process group) are
                    // not a second request.
                    if (_time.GetUtcNow() - _stopRequestedAt > TimeSpan.FromSeconds(1))
                    {
                        KillAll();
                    }
                }
                else
                {
                    LogSignal(_logger, stop.Signal);
                    _stopRequestedAt = _time.GetUtcNow();
                    BeginStop();
                }
                break;
            case SupervisorEvent.FrontStopDue:
                StopFront();
                break;
            case SupervisorEvent.KillDue:
                KillAll();
                break;
            case SupervisorEvent.Hangup:
                foreach (var s in _services.Where(s => s.Launch.ReceivesHangup && s.Running))
                {
                    LogHangup(_logger, s.Name);
                    s.Signal(NativeMethods.SIGHUP);
                }
                break;
            default:
                break;
        }
    }

    private void OnExited(ServiceProcess service, int exitCode)
    {
        if (_stopping)
        {
            LogChildStopped(_logger, service.Name, Describe(exitCode));
            if (_services.TrueForAll(s => IsFront(s) || !s.Running))
            {
                StopFront();
            }
            return;
        }
        LogUnexpectedExit(_logger, service.Name, Describe(exitCode));
        RecordDeath(service);
    }

    private void RecordDeath(ServiceProcess service)
    {
        var decision = _policy.RecordDeath(service.Name, _time.GetUtcNow());
        if (decision.GiveUp)
        {
            LogCrashLoop(_logger, service.Name, decision.RecentDeaths, (int)_policy.Window.TotalSeconds);
            _exitCode = 1;
            BeginStop();
            return;
        }
        LogRestart(_logger, service.Name, decision.Delay.TotalSeconds);
        _ = RestartLaterAsync(service, decision.Delay);
    }

    private async Task RestartLaterAsync(ServiceProcess service, TimeSpan delay)
    {
        await Task.Delay(delay, _time).ConfigureAwait(false);
        _events.Writer.TryWrite(new SupervisorEvent.RestartDue(service));
    }

    private void StartService(ServiceProcess service)
    {
        LogStarting(_logger, service.Name);
        try
        {
            service.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            LogCannotStart(_logger, service.Launch.FileName, e.Message);
            RecordDeath(service);
        }
    }

    private void BeginStop()
    {
        _stopping = true;
        foreach (var s in _services.Where(s => s.Running && !IsFront(s)))
        {
            LogStopping(_logger, s.Name);
            s.Signal(NativeMethods.SIGTERM);
        }
        if (_services.TrueForAll(s => IsFront(s) || !s.Running))
        {
            StopFront();
        }
        else
        {
            _ = FrontStopLaterAsync();
        }
        _ = KillLaterAsync();
    }

    // connmgr owns the client connections: it stops last, so the others' final packets reach them.
    private static bool IsFront(ServiceProcess s) => s.Name == ServiceNames.Connmgr;

    private void StopFront()
    {
        if (_frontStopping)
        {
            return;
        }
        _frontStopping = true;
        foreach (var s in _services.Where(s => s.Running && IsFront(s)))
        {
            LogStopping(_logger, s.Name);
            s.Signal(NativeMethods.SIGTERM);
        }
    }

    private async Task FrontStopLaterAsync()
    {
        await Task.Delay(GracePeriod / 2, _time).ConfigureAwait(false);
        _events.Writer.TryWrite(new SupervisorEvent.FrontStopDue());
    }

    private async Task KillLaterAsync()
    {
        await Task.Delay(GracePeriod, _time).ConfigureAwait(false);
        _events.Writer.TryWrite(new SupervisorEvent.KillDue());
    }

    private void KillAll()
    {
        foreach (var s in _services.Where(s => s.Running))
        {
            LogKilling(_logger, s.Name);
            s.Signal(NativeMethods.SIGKILL);
        }
    }

    // .NET reports a child killed by signal N as exit code 128 + N.
    private static string Describe(int exitCode) =>
        exitCode > 128 && exitCode < 128 + 65 ? $"killed by signal {exitCode - 128}" : $"exit code {exitCode}";

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "starting {Service}")]
    private static partial void LogStarting(ILogger logger, string service);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "{Service}: exited unexpectedly ({How})")]
    private static partial void LogUnexpectedExit(ILogger logger, string service, string how);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "restarting {Service} in {Seconds} s")]
    private static partial void LogRestart(ILogger logger, string service, double seconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "{Service}: died {Count} times within {Window} s; giving up")]
    private static partial void LogCrashLoop(ILogger logger, string service, int count, int window);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "stopping {Service}")]
    private static partial void LogStopping(ILogger logger, string service);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "{Service} did not stop in time; killing it")]
    private static partial void LogKilling(ILogger logger, string service);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "received {Signal}; stopping")]
    private static partial void LogSignal(ILogger logger, string signal);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "forwarding SIGHUP to {Service}")]
    private static partial void LogHangup(ILogger logger, string service);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "cannot start {File}: {Reason}")]
    private static partial void LogCannotStart(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "{Service} stopped ({How})")]
    private static partial void LogChildStopped(ILogger logger, string service, string how);
}
