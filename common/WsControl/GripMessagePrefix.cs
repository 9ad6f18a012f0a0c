namespace Pushpin.Common.WsControl;

/// <summary>GRIP mode of a WebSocket connection, from the backend's Sec-WebSocket-Extensions.</summary>
/// <remarks>
/// <c>grip</c> turns GRIP mode on; <c>message-prefix=P</c> (token or quoted string) replaces the
/// default <c>m:</c>. Used by the proxy (raw WS and WOH) to classify backend messages.
/// </remarks>
public sealed class GripMessagePrefix
{
    private readonly byte[] _prefixBytes;

    public GripMessagePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
        _prefixBytes = System.Text.Encoding.UTF8.GetBytes(prefix);
    }

    /// <summary>The prefix content messages must carry (stripped before they reach the client).</summary>
    public string Prefix { get; }

    public const string DefaultPrefix = "m:";

    public const string ControlPrefix = "c:";

    /// <summary>Finds the grip extension among all Sec-WebSocket-Extensions values; null = not GRIP mode.</summary>
    public static GripMessagePrefix? FromExtensions(IEnumerable<string> extensionHeaderValues)
    {
        ArgumentNullException.ThrowIfNull(extensionHeaderValues);
        foreach (var value in extensionHeaderValues)
        {
            foreach (var extension in Split(value, ','))
            {
                var parts = Split(extension, ';');
                if (parts.Count == 0 || !parts[0].Trim().Equals("grip", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var prefix = DefaultPrefix;
                for (var i = 1; i < parts.Count; i++)
                {
                    var part = parts[i].Trim();
                    var eq = part.IndexOf('=', StringComparison.Ordinal);
                    if (eq < 0 || !part[..eq].Trim().Equals("message-prefix", StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    prefix = Unquote(part[(eq + 1)..].Trim());
                }

                return new GripMessagePrefix(prefix);
            }
        }

        return null;
    }

    /// <summary>Sorts a text or binary message from the backend in GRIP mode.</summary>
    /// <param name="payload">The whole message.</param>
    /// <param name="isText">Control messages are text only.</param>
    /// <param name="body">For control: the JSON after <c>c:</c>; for content: the message minus the prefix.</param>
    public GripMessageKind Classify(ReadOnlyMemory<byte> payload, bool isText, out ReadOnlyMemory<byte> body)
    {
        var span = payload.Span;
        if (isText && span.StartsWith("c:"u8))
        {
            body = payload[2..];
            return GripMessageKind.Control;
        }

        if (span.StartsWith(_prefixBytes))
        {
            body = payload[_prefixBytes.Length..];
            return GripMessageKind.Content;
        }

        body = default;
        return GripMessageKind.Dropped;
    }

    private static string Unquote(string value)
    {
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            var inner = value[1..^1];
            var result = new System.Text.StringBuilder(inner.Length);
            for (var i = 0; i < inner.Length; i++)
            {
                if (inner[i] == '\\' && i + 1 < inner.Length)
                {
                    i++;
                }

                result.Append(inner[i]);
            }

            return result.ToString();
        }

        return value;
    }

    private static List<string> Split(string value, char separator)
    {
        var result = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '"' && (i == 0 || value[i - 1] != '\\'))
            {
                quoted = !quoted;
            }
            else if (value[i] == separator && !quoted)
            {
                result.Add(value[start..i]);
                start = i + 1;
            }
        }

        result.Add(value[start..]);
        return result;
    }
}
