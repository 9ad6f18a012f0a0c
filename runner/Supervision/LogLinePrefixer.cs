using System.Globalization;

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
