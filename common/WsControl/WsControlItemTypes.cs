namespace Pushpin.Common.WsControl;

/// <summary>Wire names of <see cref="WsControlItemType"/>.</summary>
public static class WsControlItemTypes
{
    public static string? NameOf(WsControlItemType type) => type switch
    {
        WsControlItemType.Here => "here",
        WsControlItemType.KeepAlive => "keep-alive",
        WsControlItemType.Gone => "gone",
        WsControlItemType.Grip => "grip",
        WsControlItemType.NeedKeepAlive => "need-keep-alive",
        WsControlItemType.Subscribe => "subscribe",
        WsControlItemType.Cancel => "cancel",
        WsControlItemType.Send => "send",
        WsControlItemType.KeepAliveSetup => "keep-alive-setup",
        WsControlItemType.Refresh => "refresh",
        WsControlItemType.Close => "close",
        WsControlItemType.Detach => "detach",
        WsControlItemType.Ack => "ack",
        _ => null,
    };

    public static WsControlItemType Parse(string name) => name switch
    {
        "here" => WsControlItemType.Here,
        "keep-alive" => WsControlItemType.KeepAlive,
        "gone" => WsControlItemType.Gone,
        "grip" => WsControlItemType.Grip,
        "need-keep-alive" => WsControlItemType.NeedKeepAlive,
        "subscribe" => WsControlItemType.Subscribe,
        "cancel" => WsControlItemType.Cancel,
        "send" => WsControlItemType.Send,
        "keep-alive-setup" => WsControlItemType.KeepAliveSetup,
        "refresh" => WsControlItemType.Refresh,
        "close" => WsControlItemType.Close,
        "detach" => WsControlItemType.Detach,
        "ack" => WsControlItemType.Ack,
        _ => WsControlItemType.Unknown,
    };
}
