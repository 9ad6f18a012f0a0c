using System.Text;
using Pushpin.Common.Zrpc;

namespace Pushpin.Handler.WebSockets;

/// <summary>
/// The command socket's <c>refresh</c> method: <c>{"cid": …}</c> refreshes one connection
/// (unknown cid: <c>item-not-found</c>), <c>{"channel": …}</c> every connection subscribed to it.
/// </summary>
/// <remarks>Upstream relays this through the proxy's command socket; here the handler sends the ws-control <c>refresh</c> item itself.</remarks>
internal static class WsRefreshCommand
{
    public static void Handle(WsSessions sessions, ZrpcCall call)
    {
        var args = call.Request.Args;
        if (args is not null && args.TryGetValue("cid", out var vcid))
        {
            if (AsString(vcid) is not { } cid)
            {
                call.Fail("bad-request");
                return;
            }
            if (sessions.Refresh(cid))
            {
                call.Ok(null);
            }
            else
            {
                call.Fail("item-not-found");
            }
            return;
        }
        if (args is not null && args.TryGetValue("channel", out var vchannel))
        {
            if (AsString(vchannel) is not { } channel)
            {
                call.Fail("bad-request");
                return;
            }
            foreach (var cid in sessions.CidsOf(channel))
            {
                sessions.Refresh(cid);
            }
            call.Ok(null);
            return;
        }
        call.Fail("bad-request");
    }

    private static string? AsString(object? v) => v switch
    {
        byte[] b => Encoding.UTF8.GetString(b),
        string s => s,
        _ => null,
    };
}
