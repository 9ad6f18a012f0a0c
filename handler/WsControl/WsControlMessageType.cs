namespace Pushpin.Handler.WsControl;

/// <summary>The <c>type</c> of a GRIP control message (behavior.md §7.4).</summary>
internal enum WsControlMessageType
{
    Subscribe,
    Unsubscribe,
    Detach,
    Session,
    SetMeta,
    KeepAlive,
    SendDelayed,
    FlushDelayed,
}
