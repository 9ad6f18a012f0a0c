using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Pushpin.Common.Hosting;

/// <summary>
/// Serilog set up as upstream logs: one line per event on standard output (or the
/// <c>--logfile</c>), upstream's line format or compact JSON, and the 0..4 level scale.
/// </summary>
public static class DaemonLogging
{
    /// <summary>Upstream level (0 error, 1 warn, 2 info, 3 debug, 4 trace) to Serilog's.</summary>
    public static LogEventLevel ToSerilogLevel(int level) => level switch
    {
        <= 0 => LogEventLevel.Error,
        1 => LogEventLevel.Warning,
        2 => LogEventLevel.Information,
        3 => LogEventLevel.Debug,
        _ => LogEventLevel.Verbose,
    };

    /// <summary>A logger for a daemon started with <paramref name="args"/>.</summary>
    public static Logger CreateLogger(DaemonArguments args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return CreateLogger(args.EffectiveLogLevel, args.LogFile, args.JsonLogs);
    }

    /// <summary>
    /// A logger at <paramref name="level"/> writing to <paramref name="logFile"/> (appended) or
    /// standard output. Framework categories (Microsoft.*, System.*) are held at warnings so debug
    /// output stays about Pushpin. Events carrying <see cref="PushpinLogFormatter.RawLineProperty"/>
    /// pass at any level.
    /// </summary>
    public static Logger CreateLogger(int level, string? logFile, bool json, TextWriter? output = null)
    {
        var minimum = ToSerilogLevel(level);
        ITextFormatter formatter = json ? new PushpinJsonFormatter() : new PushpinLogFormatter();
        var config = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .Filter.ByIncludingOnly(e => IsRaw(e) || (e.Level >= minimum && (e.Level >= LogEventLevel.Warning || !IsFramework(e))))
            .Enrich.FromLogContext();
        if (logFile is not null)
        {
            config = config.WriteTo.Sink(new ReopenableFileSink(formatter, logFile));
        }
        else if (output is not null)
        {
            config = config.WriteTo.Sink(new TextWriterSink(formatter, output));
        }
        else
        {
            // Standard output, as upstream; the runner reads it line by line.
            config = config.WriteTo.Console(formatter);
        }
        return config.CreateLogger();
    }

    /// <summary>Reopens the log files of this process (SIGHUP after logrotate moved them).</summary>
    public static void ReopenLogFiles() => ReopenableFileSink.ReopenAll();

    private static bool IsRaw(LogEvent e) => e.Properties.ContainsKey(PushpinLogFormatter.RawLineProperty);

    private static bool IsFramework(LogEvent e) =>
        e.Properties.TryGetValue("SourceContext", out var v) && v is ScalarValue { Value: string s }
        && (s.StartsWith("Microsoft.", StringComparison.Ordinal) || s.StartsWith("System.", StringComparison.Ordinal));
}
