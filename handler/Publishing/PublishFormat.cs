using Pushpin.Handler.Http;

namespace Pushpin.Handler.Publishing;

/// <summary>One delivery format of a publish item (http-response, http-stream or ws-message).</summary>
internal sealed class PublishFormat
{
    public PublishFormat(PublishFormatType type)
    {
        Type = type;
    }

    public PublishFormatType Type { get; }

    public PublishAction Action { get; set; }

    /// <summary>http-response status (default 200) or ws-message close code (-1 = none).</summary>
    public int Code { get; set; } = -1;

    /// <summary>Reason phrase / close reason (Latin-1 byte string; empty = none).</summary>
    public string Reason { get; set; } = string.Empty;

    public HeaderList Headers { get; } = [];

    /// <summary>Body / content bytes.</summary>
    public byte[] Body { get; set; } = [];

    /// <summary>RFC 6902 patch for http-response, applied to the instruct body; null if not used.</summary>
    public List<object?>? BodyPatch { get; set; }

    /// <summary>null when the item gave no <c>content-filters</c>.</summary>
    public List<string>? ContentFilters { get; set; }

    public WsMessageType MessageType { get; set; }
}
