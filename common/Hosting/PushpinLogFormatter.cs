using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Parsing;

namespace Pushpin.Common.Hosting;

/// <summary>
/// Upstream's log line: <c>[INFO] 2026-11-23 15:00:00.123 message</c> (local time, levels ERR,
/// WARN, INFO, DEBUG, TRACE); debug and trace lines carry <c>[category]</c> before the message as
/// upstream's do with the module. Exactly three spaces precede the message, which is what the
/// runner relies on to insert <c>[proxy]</c> when it merges child output.
/// </summary>
public sealed class PushpinLogFormatter : ITextFormatter
{
    /// <summary>
    /// Property that marks an event as an already formatted line to write verbatim (the runner's
    /// merged child output), so one sink and one writer serve both.
    /// </summary>
    public const string RawLineProperty = "PushpinRawLine";

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        if (logEvent.Properties.TryGetValue(RawLineProperty, out var raw) && raw is ScalarValue { Value: string line })
        {
            output.Write(line);
            output.Write('\n');
            return;
        }
        output.Write(LevelTag(logEvent.Level));
        output.Write(' ');
        output.Write(logEvent.Timestamp.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
        output.Write(' ');
        if (logEvent.Level <= LogEventLevel.Debug && logEvent.Properties.TryGetValue("SourceContext", out var ctx) && ctx is ScalarValue { Value: string category })
        {
            output.Write('[');
            output.Write(ShortCategory(category));
            output.Write("] ");
        }
        RenderMessage(logEvent, output);
        if (logEvent.Exception is not null)
        {
            output.Write(": ");
            output.Write(logEvent.Exception.GetType().Name);
            output.Write(": ");
            output.Write(logEvent.Exception.Message.ReplaceLineEndings(" "));
            if (logEvent.Level <= LogEventLevel.Debug)
            {
                output.Write('\n');
                output.Write(logEvent.Exception.ToString());
            }
        }
        output.Write('\n');
    }

    /// <summary>Upstream's level names.</summary>
    public static string LevelTag(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "[TRACE]",
        LogEventLevel.Debug => "[DEBUG]",
        LogEventLevel.Information => "[INFO]",
        LogEventLevel.Warning => "[WARN]",
        _ => "[ERR]",
    };

    // Serilog quotes string arguments by default; upstream's lines hold them bare.
    private static void RenderMessage(LogEvent logEvent, TextWriter output)
    {
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property && logEvent.Properties.TryGetValue(property.PropertyName, out var value))
            {
                if (value is ScalarValue { Value: string text })
                {
                    output.Write(text);
                }
                else
                {
                    value.Render(output, property.Format, CultureInfo.InvariantCulture);
                }
            }
            else
            {
                token.Render(logEvent.Properties, output, CultureInfo.InvariantCulture);
            }
        }
    }

    // "Pushpin.Proxy.Sessions.ProxySession" → "ProxySession": the namespace adds length, not meaning.
    private static string ShortCategory(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot < 0 ? category : category[(dot + 1)..];
    }
}
