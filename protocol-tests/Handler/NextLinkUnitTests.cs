using Pushpin.Handler.Sessions;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>How next and gone links are resolved against the current request URI.</summary>
[CancelAfter(10_000)]
public sealed class NextLinkUnitTests
{
    [TestCase("http://h:7999/a/b?x=1", "/next?y=2", "http://h:7999/next?y=2")]
    [TestCase("http://h:7999/a/b", "c", "http://h:7999/a/c")]
    [TestCase("http://h:7999/a/b", "https://other/x", "https://other/x")]
    public void Links_resolve_against_the_current_uri(string current, string link, string expected) =>
        Assert.That(HttpSession.Resolve(current, link), Is.EqualTo(expected));

    [TestCase(null)]
    [TestCase("")]
    public void Missing_links_resolve_to_nothing(string? link) =>
        Assert.That(HttpSession.Resolve("http://h/", link), Is.Null);
}
