namespace Pushpin.Handler.Sessions;

/// <summary>
/// Where a held session came from, for retries: the proxy instance (zrpc <c>from</c>), the route,
/// the client's original request and the inspect info, kept as the accept gave them.
/// </summary>
internal sealed record SessionOrigin(string? ProxyId, string? Route, Dictionary<string, object?>? RequestData, Dictionary<string, object?>? Inspect);
