using System.Text;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Pushpin.Common.Hosting;

/// <summary>
/// Writes formatted events to a log file through Serilog's file sink, rolling over at a size
/// limit (<c>pushpin.log</c>, then <c>pushpin_001.log</c>, ...; the oldest beyond the retained
/// count are deleted), and can reopen it, so logrotate's "reload" (SIGHUP, as upstream's
/// packaging does) moves writing to the fresh file instead of the rotated one.
/// </summary>
internal sealed class ReopenableFileSink : ILogEventSink, IDisposable
{
    /// <summary>Default roll-over size: big enough for a day of info logging under load, small enough to open in an editor.</summary>
    public const long DefaultSizeLimit = 64L * 1024 * 1024;

    /// <summary>Default number of files kept (the current one included).</summary>
    public const int DefaultRetainedFiles = 10;

    private static readonly List<WeakReference<ReopenableFileSink>> Open = [];
    private static readonly Lock OpenGate = new();

    private readonly ITextFormatter _formatter;
    private readonly string _path;
    private readonly long _sizeLimit;
    private readonly int _retainedFiles;
    private readonly Lock _gate = new();
    private Logger? _file;

    public ReopenableFileSink(ITextFormatter formatter, string path, long sizeLimit = DefaultSizeLimit, int retainedFiles = DefaultRetainedFiles)
    {
        _formatter = formatter;
        _path = Path.GetFullPath(path);
        _sizeLimit = sizeLimit;
        _retainedFiles = retainedFiles;
        _file = OpenFile();
        lock (OpenGate)
        {
            Open.RemoveAll(w => !w.TryGetTarget(out _));
            Open.Add(new WeakReference<ReopenableFileSink>(this));
        }
    }

    /// <summary>Reopens every log file of this process (called on SIGHUP).</summary>
    public static void ReopenAll()
    {
        List<ReopenableFileSink> sinks = [];
        lock (OpenGate)
        {
            foreach (var w in Open)
            {
                if (w.TryGetTarget(out var s))
                {
                    sinks.Add(s);
                }
            }
        }
        foreach (var s in sinks)
        {
            s.Reopen();
        }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            _file?.Write(logEvent);
        }
    }

    public void Reopen()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = OpenFile();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    // Serilog's file sink does the rolling; one per open, so a reopen starts a fresh file.
    private Logger OpenFile()
    {
        var dir = Path.GetDirectoryName(_path);
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        return new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.File(_formatter, _path, fileSizeLimitBytes: _sizeLimit, rollOnFileSizeLimit: true, retainedFileCountLimit: _retainedFiles, encoding: new UTF8Encoding(false))
            .CreateLogger();
    }
}
