using BenchmarkDotNet.Attributes;
using Pushpin.Proxy.Signing;

namespace Pushpin.Benchmarks.Proxy;

/// <summary>
/// Grip-Sig cost per proxied request: a fresh token (each call a new second, so the per-key
/// cache misses), the cached token (same second, the usual case under load), and validating an
/// upstream token (<c>upstream_key</c>) first and again, for upstream's default short HMAC key.
/// </summary>
[MemoryDiagnoser]
public class GripSigBenchmarks
{
    private GripSigningKey _key = null!;
    private string _token = null!;
    private DateTimeOffset _now;
    private long _second;

    [GlobalSetup]
    public void Setup()
    {
        _key = GripSigningKey.FromSecret("changeme"u8.ToArray());
        _now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        _token = GripSig.Create("pushpin", _key, _now);
    }

    [Benchmark]
    public string CreateFresh() => GripSig.Create("pushpin", _key, _now.AddSeconds(++_second));

    [Benchmark]
    public string CreateCached() => GripSig.Create("pushpin", _key, _now);

    [Benchmark]
    public bool ValidateFresh()
    {
        // Forget the last verified token: the full library path each time.
        _key.LastValidated = null;
        return GripSig.Validate(_token, _key, _now);
    }

    [Benchmark]
    public bool ValidateRepeated() => GripSig.Validate(_token, _key, _now);
}
