namespace Pushpin.Handler.WsControl;

/// <summary>One parsed GRIP control message (the JSON after <c>c:</c>).</summary>
/// <remarks>Only the fields of <see cref="Type"/> are meaningful; the rest keep their defaults.</remarks>
internal sealed class WsControlMessage
{
    /// <summary>More filters than this on one subscribe close the connection with 1011 (upstream's limit).</summary>
    public const int MaxFilters = 5;

    public const int DefaultKeepAliveTimeout = 55;

    public const int DefaultSendDelayedTimeout = 1;

    public required WsControlMessageType Type { get; init; }

    /// <summary>subscribe / unsubscribe: never empty.</summary>
    public string Channel { get; init; } = string.Empty;

    /// <summary>subscribe: filter names as given (the session enforces <see cref="MaxFilters"/>).</summary>
    public IReadOnlyList<string> Filters { get; init; } = [];

    /// <summary>session: the id; null when absent (an empty string clears it too).</summary>
    public string? SessionId { get; init; }

    /// <summary>set-meta: never empty.</summary>
    public string MetaName { get; init; } = string.Empty;

    /// <summary>set-meta: null (absent) deletes the meta value.</summary>
    public string? MetaValue { get; init; }

    /// <summary>keep-alive / send-delayed: the message kind (text unless message-type says otherwise).</summary>
    public WsMessageType MessageType { get; init; } = WsMessageType.Text;

    /// <summary>keep-alive / send-delayed: the message bytes; null when neither content nor content-bin was given.</summary>
    /// <remarks>For keep-alive, null means "disable keep-alives".</remarks>
    public byte[]? Content { get; init; }

    /// <summary>keep-alive / send-delayed: seconds, or null when absent (see <see cref="EffectiveTimeout"/>).</summary>
    public int? Timeout { get; init; }

    /// <summary>keep-alive: "idle" (default) or "interval"; other values are passed on as given.</summary>
    public string? KeepAliveMode { get; init; }

    /// <summary>The timeout with the type's default applied (55 s for keep-alive, 1 s for send-delayed).</summary>
    public int EffectiveTimeout => Timeout ?? (Type == WsControlMessageType.SendDelayed ? DefaultSendDelayedTimeout : DefaultKeepAliveTimeout);

    /// <summary>keep-alive: whether the mode is interval (every timeout) rather than idle (after timeout of silence).</summary>
    public bool IsIntervalMode => string.Equals(KeepAliveMode, "interval", StringComparison.Ordinal);
}
