using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace Pushpin.Common.Hosting;

/// <summary>
/// <c>--log-format json</c>: one compact JSON object per line (Serilog's CLEF: <c>@t</c>,
/// <c>@mt</c>, <c>@l</c> when not Information, then the properties). Events carrying
/// <see cref="PushpinLogFormatter.RawLineProperty"/> are lines already formatted (the runner's
/// merged child output) and are written verbatim.
/// </summary>
public sealed class PushpinJsonFormatter : ITextFormatter
{
    private readonly CompactJsonFormatter _inner = new();

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        if (logEvent.Properties.TryGetValue(PushpinLogFormatter.RawLineProperty, out var raw) && raw is ScalarValue { Value: string line })
        {
            output.Write(line);
            output.Write('\n');
            return;
        }
        _inner.Format(logEvent, output);
    }
}
