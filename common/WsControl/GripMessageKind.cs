namespace Pushpin.Common.WsControl;

/// <summary>What a backend message is in GRIP mode.</summary>
public enum GripMessageKind
{
    /// <summary><c>c:</c> text: a control message for the handler, never sent to the client.</summary>
    Control,

    /// <summary>Carries the message prefix: sent to the client with the prefix stripped.</summary>
    Content,

    /// <summary>Neither: dropped (behavior.md §7.2).</summary>
    Dropped,
}
