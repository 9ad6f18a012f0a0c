namespace Pushpin.Common.WsControl;

/// <summary>A ws-control packet: the sender id and up to <see cref="MaxItems"/> items.</summary>
public sealed class WsControlPacket
{
    /// <summary>Senders batch at most this many items (keep-alives) into one packet.</summary>
    public const int MaxItems = 128;

    /// <summary>Sender instance id (required by HEAD peers; absent from 1.36).</summary>
    public string? From { get; init; }

    public required IReadOnlyList<WsControlItem> Items { get; init; }
}
