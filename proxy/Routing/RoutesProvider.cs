using Microsoft.Extensions.Logging;

namespace Pushpin.Proxy.Routing;

/// <summary>
/// Owns the current <see cref="RouteTable"/>: loads the routes file (or the <c>--route</c>
/// lines, which replace the file entirely), watches the file and reloads it after changes.
/// </summary>
/// <remarks>
/// Readers take <see cref="Current"/> once per request; a reload builds a whole new table and
/// swaps the reference, so a request never sees half a reload. At start-up invalid lines are
/// skipped with a warning (as upstream). On reload, an edit that introduces any invalid line is
/// rejected as a whole and the previous routes stay in force, so a typo cannot take a working
/// route away.
/// </remarks>
public sealed partial class RoutesProvider : IDisposable
{
    private readonly string? _fileName;
    private readonly IReadOnlyList<string> _routeLines;
    private readonly ILogger _logger;
    private readonly TimeSpan _reloadDelay;
    private readonly Lock _timerLock = new();
    private FileSystemWatcher? _watcher;
    private Timer? _timer;
    private volatile RouteTable _current = RouteTable.Empty;
    private bool _timerPending;

    public RoutesProvider(string? fileName, IReadOnlyList<string> routeLines, ILogger logger, TimeSpan? reloadDelay = null)
    {
        _fileName = string.IsNullOrEmpty(fileName) ? null : Path.GetFullPath(fileName);
        _routeLines = routeLines;
        _logger = logger;
        _reloadDelay = reloadDelay ?? TimeSpan.FromSeconds(1);
    }

    public RouteTable Current => _current;

    /// <summary>Raised (on a timer thread) after a new table was installed.</summary>
    public event Action<RouteTable>? Changed;

    /// <summary>Loads the routes and starts watching the file.</summary>
    public void Start()
    {
        if (_routeLines.Count > 0)
        {
            var errors = new List<RouteLoadError>();
            var table = RouteTable.Build(_routeLines, "<route>", Directory.GetCurrentDirectory(), errors);
            foreach (var e in errors)
            {
                LogSkipped(_logger, e.ToString());
            }
            Install(table);
            return;
        }
        if (_fileName is null)
        {
            return;
        }
        var initial = Load(_fileName, out var loadErrors, out var readError);
        if (readError is not null)
        {
            LogUnreadable(_logger, readError);
        }
        foreach (var e in loadErrors)
        {
            LogSkipped(_logger, e.ToString());
        }
        Install(initial ?? RouteTable.Empty);

        _timer = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        try
        {
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(_fileName)!, Path.GetFileName(_fileName))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => OnFileEvent();
            _watcher.Created += (_, _) => OnFileEvent();
            _watcher.Renamed += (_, _) => OnFileEvent();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            LogWatchFailed(_logger, _fileName, e.Message);
        }
    }

    private void OnFileEvent()
    {
        // Editors produce bursts of events; reload once after things settle.
        lock (_timerLock)
        {
            if (_timerPending)
            {
                return;
            }
            _timerPending = true;
            LogChanged(_logger);
            _timer?.Change(_reloadDelay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Re-reads the file now; keeps the current routes if the file is unreadable or has errors.</summary>
    public void Reload()
    {
        lock (_timerLock)
        {
            _timerPending = false;
        }
        if (_fileName is null || _routeLines.Count > 0)
        {
            return;
        }
        var table = Load(_fileName, out var errors, out var readError);
        if (table is null)
        {
            LogReloadKept(_logger, readError ?? "unreadable");
            return;
        }
        if (errors.Count > 0)
        {
            foreach (var e in errors)
            {
                LogSkipped(_logger, e.ToString());
            }
            LogReloadKept(_logger, $"{errors.Count} invalid line(s) in {_fileName}");
            return;
        }
        Install(table);
    }

    private void Install(RouteTable table)
    {
        _current = table;
        LogLoaded(_logger, table.Routes.Count);
        Changed?.Invoke(table);
    }

    private static RouteTable? Load(string fileName, out List<RouteLoadError> errors, out string? readError)
    {
        errors = [];
        string[] lines;
        try
        {
            lines = File.ReadAllLines(fileName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            readError = $"unable to open routes file: {fileName}: {e.Message}";
            return null;
        }
        readError = null;
        return RouteTable.Build(lines, fileName, Path.GetDirectoryName(fileName)!, errors);
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _timer?.Dispose();
    }

    [LoggerMessage(1001, LogLevel.Warning, "{Error}")]
    private static partial void LogSkipped(ILogger logger, string error);

    [LoggerMessage(1002, LogLevel.Warning, "{Error}")]
    private static partial void LogUnreadable(ILogger logger, string error);

    [LoggerMessage(1003, LogLevel.Information, "routes loaded with {Count} entries")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(1004, LogLevel.Information, "routes file changed, reloading")]
    private static partial void LogChanged(ILogger logger);

    [LoggerMessage(1005, LogLevel.Warning, "routes not reloaded, keeping the previous routes: {Reason}")]
    private static partial void LogReloadKept(ILogger logger, string reason);

    [LoggerMessage(1006, LogLevel.Error, "failed to watch {File}: {Reason}")]
    private static partial void LogWatchFailed(ILogger logger, string file, string reason);
}
