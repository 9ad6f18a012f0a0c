namespace Pushpin.Common.WsControl;

/// <summary>One item of a ws-control packet; absent fields are null (internals.md §6.2).</summary>
public sealed class WsControlItem
{
    public required string Cid { get; init; }

    public required WsControlItemType Type { get; init; }

    /// <summary>The type as written on the wire (kept for unknown types and logs).</summary>
    public string TypeName => WsControlItemTypes.NameOf(Type) ?? RawTypeName ?? string.Empty;

    /// <summary>The wire name when <see cref="Type"/> is <see cref="WsControlItemType.Unknown"/>.</summary>
    public string? RawTypeName { get; init; }

    public string? ReqId { get; init; }

    /// <summary>here: the client request URI.</summary>
    public string? Uri { get; init; }

    /// <summary>send: text, binary, ping or pong.</summary>
    public string? ContentType { get; init; }

    /// <summary>grip: the control JSON (after <c>c:</c>); send: the message bytes.</summary>
    public byte[]? Message { get; init; }

    /// <summary>send: queue behind other messages (delayed sends).</summary>
    public bool? Queue { get; init; }

    /// <summary>close: the close code.</summary>
    public int? Code { get; init; }

    public string? Reason { get; init; }

    public bool? Debug { get; init; }

    public bool? SeparateStats { get; init; }

    public bool? Trusted { get; init; }

    public string? Route { get; init; }

    public string? ChannelPrefix { get; init; }

    public int? LogLevel { get; init; }

    /// <summary>subscribe: the channel.</summary>
    public string? Channel { get; init; }

    /// <summary>here, keep-alive: seconds the handler keeps the session without a refresh.</summary>
    public int? Ttl { get; init; }

    /// <summary>keep-alive-setup: seconds (0 or absent disables).</summary>
    public int? Timeout { get; init; }

    /// <summary>keep-alive-setup: idle (default) or interval.</summary>
    public string? KeepAliveMode { get; init; }
}
