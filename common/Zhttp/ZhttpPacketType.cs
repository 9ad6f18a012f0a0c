namespace Pushpin.Common.Zhttp;

/// <summary>zhttp packet types (internals.md §3.5); <see cref="Data"/> is the absent type.</summary>
public enum ZhttpPacketType
{
    Data,
    Error,
    Credit,
    KeepAlive,
    Cancel,
    HandoffStart,
    HandoffProceed,
    Close,
    Ping,
    Pong,
}
