using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Pushpin.Runner.Supervision;

/// <summary>
/// Tags a child's output line with its service name the way upstream's runner does: a log line
/// <c>[INFO] 2026-11-23 15:00:00.123 message</c> becomes
/// <c>[INFO] 2026-11-23 15:00:00.123 [proxy] message</c> (the tag goes after the third space).
/// Lines that are not log lines (a crash trace on stderr) are wrapped as the runner's own log
/// line, ERR for stderr and INFO for stdout, so every merged line has the same shape.
/// </summary>
internal static class LogLinePrefixer
{
    public static string Prefix(string service, string line, bool fromStderr, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Length > 0 && line[0] == '[')
        {
            var index = ThirdSpace(line);
            if (index > 0 && line[index - 1] != ' ' && line.IndexOf(']', StringComparison.Ordinal) is > 0 and var close && close < index)
            {
                return $"{line.AsSpan(0, index + 1)}[{service}] {line.AsSpan(index + 1)}";
            }
        }
        var level = fromStderr ? "[ERR]" : "[INFO]";
        return $"{level} {now.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)} [{service}] {line}";
    }

    /// <summary>
    /// The JSON form (<c>--log-format json</c>): a child's JSON object gets <c>"service"</c> as its
    /// first property; any other line becomes a CLEF object of its own (<c>@t</c>, <c>@m</c>,
    /// <c>@l</c> Error for stderr) with <c>service</c>, so every merged line parses as JSON.
    /// </summary>
    public static string PrefixJson(string service, string line, bool fromStderr, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(line);
        var trimmed = line.AsSpan().Trim();
        if (trimmed.Length >= 2 && trimmed[0] == '{' && trimmed[^1] == '}')
        {
            var rest = trimmed[1..].TrimStart();
            var separator = rest.Length > 0 && rest[0] == '}' ? string.Empty : ",";
            return $"{{\"service\":{JsonSerializer.Serialize(service)}{separator}{rest}";
        }
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("@t", now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("@m", line);
            if (fromStderr)
            {
                json.WriteString("@l", "Error");
            }
            json.WriteString("service", service);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static int ThirdSpace(string line)
    {
        var count = 0;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == ' ' && ++count == 3)
            {
                return i;
            }
        }
        return -1;
    }
}
