using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Pushpin.Common.Hosting;

/// <summary>
/// Appends formatted events to a log file and can reopen it, so logrotate's "reload" (SIGHUP,
/// as upstream's packaging does) moves writing to the fresh file instead of the rotated one.
/// </summary>
internal sealed class ReopenableFileSink : ILogEventSink, IDisposable
{
    private static readonly List<WeakReference<ReopenableFileSink>> Open = [];
    private static readonly Lock OpenGate = new();

    private readonly ITextFormatter _formatter;
    private readonly string _path;
    private readonly Lock _gate = new();
    private StreamWriter? _writer;

    public ReopenableFileSink(ITextFormatter formatter, string path)
    {
        _formatter = formatter;
        _path = path;
        _writer = OpenWriter(path);
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
            if (_writer is null)
            {
                return;
            }
            _formatter.Format(logEvent, _writer);
            _writer.Flush();
        }
    }

    public void Reopen()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = OpenWriter(_path);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    private static StreamWriter OpenWriter(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        return new StreamWriter(stream, new UTF8Encoding(false));
    }
}
