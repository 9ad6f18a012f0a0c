namespace Pushpin.Handler.Filters;

/// <summary>What a filter acts on (upstream's Filter::Targets).</summary>
[Flags]
internal enum FilterTargets
{
    None = 0,

    /// <summary>Decides whether an item is delivered to a session.</summary>
    MessageDelivery = 1,

    /// <summary>Rewrites published content.</summary>
    MessageContent = 2,

    /// <summary>Rewrites the initial (instruct) response body.</summary>
    ResponseContent = 4,
}
