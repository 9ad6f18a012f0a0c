namespace Pushpin.Proxy.Routing;

/// <summary>JSON-P tuning of a route (§11.1).</summary>
public sealed record JsonpConfig
{
    public bool Basic { get; init; }

    public string CallbackParam { get; init; } = string.Empty;

    public string BodyParam { get; init; } = string.Empty;

    public string DefaultCallback { get; init; } = string.Empty;

    /// <summary><c>POST</c> in basic mode, <c>GET</c> in extended mode unless overridden.</summary>
    public string DefaultMethod { get; init; } = "GET";
}
