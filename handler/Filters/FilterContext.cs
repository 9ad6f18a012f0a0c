namespace Pushpin.Handler.Filters;

/// <summary>What filters may look at: subscription meta, publish meta and the session's channel prev-ids.</summary>
internal sealed class FilterContext
{
    private static readonly Dictionary<string, string> NoMeta = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string?> NoPrevIds = new(StringComparer.Ordinal);

    /// <summary>From Grip-Set-Meta / JSON <c>hold.meta</c>.</summary>
    public IReadOnlyDictionary<string, string> SubscriptionMeta { get; init; } = NoMeta;

    /// <summary>From the item's <c>meta</c>.</summary>
    public IReadOnlyDictionary<string, string> PublishMeta { get; init; } = NoMeta;

    /// <summary>Every subscribed channel by unprefixed name; the value is its prev-id (null when none).</summary>
    public IReadOnlyDictionary<string, string?> PrevIds { get; init; } = NoPrevIds;
}
