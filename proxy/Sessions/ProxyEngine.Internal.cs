using System.Text;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;

namespace Pushpin.Proxy.Sessions;

/// <summary>intreq: the handler's own outbound requests (next links, WebSocket-over-HTTP) served like client requests.</summary>
public sealed partial class ProxyEngine
{
    /// <summary>Binds the intreq responder (PULL, ROUTER, PUB) when configured.</summary>
    private void StartInternalSockets(CancellationToken ct)
    {
        if (_options.IntreqInSpecs.Count == 0 || _options.IntreqInStreamSpecs.Count == 0 || _options.IntreqOutSpecs.Count == 0)
        {
            return;
        }
        // A bind takes only the first spec of a list (internals.md §2.2).
        _intreq = new ZhttpResponder(_options.InstanceId, new ZhttpEndpoints([_options.IntreqInSpecs[0]], [_options.IntreqInStreamSpecs[0]], [_options.IntreqOutSpecs[0]], Bind: true), _logger);
        _intreq.Start();
        _tasks.Add(Pump(_intreq.Incoming, p => new InboundPacket(p, Internal: true), ct));
    }

    /// <summary>
    /// The route for a passthrough request (upstream <c>ProxyEngine::tryTakeRequest</c>): the
    /// route named by <c>route</c> when <c>prefer-internal</c> is set and the path matches it;
    /// otherwise a one-target route straight to the URI's host and port, signed as the named
    /// route and trusted as <c>trusted</c> says. Null when the named route is gone.
    /// </summary>
    internal static Route? PassthroughRoute(RouteTable table, Dictionary<string, object?> passthrough, RequestUri uri)
    {
        var id = PassthroughString(passthrough, "route");
        var route = string.IsNullOrEmpty(id) ? null : table.FindById(id);
        if (route is null || (PassthroughBool(passthrough, "prefer-internal") && route.MatchesPath(uri.Path)))
        {
            return route;
        }
        var secure = uri.Scheme is "https" or "wss";
        return new Route
        {
            Domain = string.Empty,
            SigIss = route.SigIss,
            SigKey = route.SigKey,
            Targets =
            [
                new RouteTarget
                {
                    Kind = RouteTargetKind.Default,
                    ConnectHost = uri.Host,
                    ConnectPort = uri.Port >= 0 ? uri.Port : secure ? 443 : 80,
                    Ssl = secure,
                    Trusted = PassthroughBool(passthrough, "trusted"),
                },
            ],
        };
    }

    private static bool PassthroughBool(Dictionary<string, object?> d, string key) => d.TryGetValue(key, out var v) && v is true;

    private static string? PassthroughString(Dictionary<string, object?> d, string key) => d.TryGetValue(key, out var v)
        ? v switch
        {
            byte[] b => Encoding.UTF8.GetString(b),
            string str => str,
            _ => null,
        }
        : null;
}
