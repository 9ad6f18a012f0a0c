namespace Pushpin.Handler.Publishing;

/// <summary>A validated publish item.</summary>
internal sealed class PublishItem
{
    public required string Channel { get; init; }

    public string? Id { get; init; }

    public string? PrevId { get; init; }

    public PublishFormat? HttpResponse { get; set; }

    public PublishFormat? HttpStream { get; set; }

    public PublishFormat? WsMessage { get; set; }

    public Dictionary<string, string> Meta { get; } = new(StringComparer.Ordinal);

    /// <summary>-1 when not given.</summary>
    public int Size { get; init; } = -1;

    public bool NoSeq { get; init; }
}
