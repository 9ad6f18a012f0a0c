using BenchmarkDotNet.Attributes;
using Pushpin.Proxy.Routing;

namespace Pushpin.Benchmarks.Proxy;

/// <summary>Route lookup per request: a small routes file with host and path-prefix rules.</summary>
[MemoryDiagnoser]
public class RouteMatchBenchmarks
{
    private RouteTable _table = null!;

    [GlobalSetup]
    public void Setup()
    {
        var lines = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            lines.Add($"api{i}.example.com,path_beg=/v{i}/ 127.0.0.1:{8000 + i}");
        }
        lines.Add("* 127.0.0.1:8080");
        var errors = new List<RouteLoadError>();
        _table = RouteTable.Build(lines, "routes", "/tmp", errors);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(errors[0].ToString());
        }
    }

    [Benchmark]
    public Route? MatchHostAndPathPrefix() => _table.Match(RouteProtocol.Http, false, "api17.example.com", "/v17/items/42");

    [Benchmark]
    public Route? FallThroughToDefault() => _table.Match(RouteProtocol.Http, false, "www.example.org", "/index.html");
}
