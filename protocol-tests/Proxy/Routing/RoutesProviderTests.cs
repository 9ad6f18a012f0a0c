using NUnit.Framework;
using Microsoft.Extensions.Logging.Abstractions;
using Pushpin.ProtocolTests.Support;
using Pushpin.Proxy.Routing;

namespace Pushpin.ProtocolTests.Proxy.Routing;

[CancelAfter(30_000)]
public sealed class RoutesProviderTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("pushpin-routes-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Changed_file_is_reloaded_and_a_bad_edit_keeps_the_old_routes()
    {
        var file = Path.Combine(_dir, "routes");
        await File.WriteAllTextAsync(file, "* a:1\n");
        using var provider = new RoutesProvider(file, [], NullLogger.Instance, TimeSpan.FromMilliseconds(100));
        provider.Start();
        Assert.That(provider.Current.Routes[0].Targets[0].ConnectHost, Is.EqualTo("a"));

        await File.WriteAllTextAsync(file, "* b:1\n");
        await Eventually.TrueAsync(() => provider.Current.Routes[0].Targets[0].ConnectHost == "b", "reload to b");

        var before = provider.Current;
        await File.WriteAllTextAsync(file, "* c:1\n* nope\n");
        // A later good edit proves the bad one was seen and rejected, not just slow.
        provider.Reload();
        Assert.That(provider.Current, Is.SameAs(before));

        File.Delete(file);
        provider.Reload();
        Assert.That(provider.Current, Is.SameAs(before), "a missing file keeps the routes too");

        await File.WriteAllTextAsync(file, "* d:1\n");
        await Eventually.TrueAsync(() => provider.Current.Routes[0].Targets[0].ConnectHost == "d", "reload to d");
    }

    [Test]
    public void Route_lines_replace_the_file()
    {
        var file = Path.Combine(_dir, "routes");
        File.WriteAllText(file, "* a:1\n");
        using var provider = new RoutesProvider(file, ["* z:9", "x.com test"], NullLogger.Instance);
        provider.Start();
        Assert.That(provider.Current.Routes.Select(r => r.Targets[0].ToString()), Is.EqualTo(new[] { "z:9", "test" }));
    }

    [Test]
    public void Initial_load_skips_invalid_lines_and_keeps_the_rest()
    {
        var file = Path.Combine(_dir, "routes");
        File.WriteAllText(file, "# comment\n\n* nope\nx.com test\n");
        using var provider = new RoutesProvider(file, [], NullLogger.Instance);
        provider.Start();
        Assert.That(provider.Current.Routes, Has.Count.EqualTo(1));
    }
}
