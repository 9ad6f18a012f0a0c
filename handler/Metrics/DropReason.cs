namespace Pushpin.Handler.Metrics;

/// <summary>Why a published item did not reach a session (each is counted, none is silent).</summary>
internal enum DropReason
{
    /// <summary>The per-session queue (100 items) was full.</summary>
    SessionQueueFull,

    /// <summary>The delivery limiter's <c>message_hwm</c> was reached.</summary>
    Hwm,

    /// <summary>A filter (skip-self, skip-users, require-sub) dropped it.</summary>
    Filtered,

    /// <summary>A filter failed (bad template, missing meta).</summary>
    FilterError,

    /// <summary>The item's content-filters did not match the subscription's.</summary>
    ContentFilterMismatch,

    /// <summary>The (channel, id) was seen within <c>id_cache_ttl</c>.</summary>
    Duplicate,

    /// <summary>The sequencer already held an item with the same prev-id, or too many.</summary>
    SequencerOverflow,
}
