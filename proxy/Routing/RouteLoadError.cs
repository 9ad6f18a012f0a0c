namespace Pushpin.Proxy.Routing;

/// <summary>Why one routes line was skipped.</summary>
public sealed record RouteLoadError(string Source, int Line, string Reason)
{
    public override string ToString() => $"{Source}:{Line}: {Reason}";
}
