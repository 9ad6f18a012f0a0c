namespace Pushpin.Common.Zhttp;

/// <summary>
/// Where a zhttp socket set attaches. For a requester: Initial = PUSH, Stream = ROUTER,
/// Reply = SUB. For a responder: Initial = PULL (may be empty: the handler only continues
/// sessions), Stream = ROUTER, Reply = PUB.
/// </summary>
public sealed record ZhttpEndpoints(
    IReadOnlyList<string> Initial,
    IReadOnlyList<string> Stream,
    IReadOnlyList<string> Reply,
    bool Bind)
{
    /// <summary>Endpoints from a tcp base (ports N, N+1, N+2), as connmgr's stream arguments.</summary>
    public static ZhttpEndpoints FromBase(string baseSpec, bool bind)
    {
        var (a, b, c) = Transport.SocketSpecs.FromBase(baseSpec);
        return new ZhttpEndpoints([a], [b], [c], bind);
    }
}
