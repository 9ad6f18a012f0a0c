namespace Pushpin.Publish;

/// <summary>What to publish, as given on the command line (already validated).</summary>
public sealed record PublishRequest
{
    public required string Channel { get; init; }

    public string Id { get; init; } = "";

    public string PrevId { get; init; } = "";

    public string Sender { get; init; } = "";

    public PublishAction Action { get; init; } = PublishAction.Send;

    public int Code { get; init; } = 200;

    /// <summary>Body for http-response and http-stream (with the end-of-line already added).</summary>
    public byte[] HttpContent { get; init; } = [];

    /// <summary>WebSocket message content (never gets an end-of-line).</summary>
    public byte[] WsContent { get; init; } = [];

    /// <summary>JSON Patch operations (raw JSON array text) for --patch.</summary>
    public string? PatchJson { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Meta { get; init; } = [];

    public bool NoSeq { get; init; }
}

public enum PublishAction
{
    Send,
    Hint,
    Close,
}
