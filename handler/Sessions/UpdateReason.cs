namespace Pushpin.Handler.Sessions;

/// <summary>
/// Why a session asks to be re-synced through the backend: a prev-id gap on <paramref name="Channel"/>
/// (whose last id the engine then forgets) or a <c>hint</c> (high priority: not rate-limited).
/// </summary>
internal readonly record struct UpdateReason(string? Channel, bool HighPriority);
