namespace Pushpin.Common.WsControl;

/// <summary>Item types of ws-control packets (internals.md §6.2).</summary>
public enum WsControlItemType
{
    /// <summary>A type this build does not know; receivers ignore it.</summary>
    Unknown,
    Here,
    KeepAlive,
    Gone,
    Grip,
    NeedKeepAlive,
    Subscribe,
    Cancel,
    Send,
    KeepAliveSetup,
    Refresh,
    Close,
    Detach,
    Ack,
}
