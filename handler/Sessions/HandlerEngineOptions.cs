namespace Pushpin.Handler.Sessions;

/// <summary>The engine's delivery settings (<c>[handler]</c> keys), resolved once.</summary>
internal sealed record HandlerEngineOptions
{
    /// <summary><c>message_rate</c>: deliveries per second; 0 = unlimited.</summary>
    public int MessageRate { get; init; }

    /// <summary><c>message_hwm</c>: most queued delivery weight per route; 0 = unlimited.</summary>
    public int MessageHwm { get; init; }

    /// <summary><c>message_block_size</c>: bytes per stats block (and rate weight); 0 = off.</summary>
    public int MessageBlockSize { get; init; }

    /// <summary><c>message_wait</c>: ms an out-of-order item waits for its predecessor.</summary>
    public int MessageWaitMs { get; init; } = 5000;

    /// <summary><c>id_cache_ttl</c>: seconds a (channel, id) is remembered; 0 = off.</summary>
    public int IdCacheTtlSeconds { get; init; }

    /// <summary><c>update_on_first_subscription</c>: re-sync a channel's sessions ~1 s after its first subscriber.</summary>
    public bool UpdateOnFirstSubscription { get; init; } = true;

    /// <summary><c>subscription_linger</c>: a response-mode channel stays subscribed this long after its last session leaves.</summary>
    public TimeSpan SubscriptionLinger { get; init; } = TimeSpan.FromSeconds(60);
}
