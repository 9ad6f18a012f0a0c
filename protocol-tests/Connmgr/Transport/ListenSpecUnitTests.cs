using System.Net;
using Pushpin.Connmgr.Transport;

namespace Pushpin.ProtocolTests.Connmgr.Transport;

[TestFixture]
public sealed class ListenSpecUnitTests
{
    [TestCase("127.0.0.1:7999,stream", "127.0.0.1", 7999)]
    [TestCase("0.0.0.0:80,stream", "0.0.0.0", 80)]
    [TestCase("*:8080,stream", "0.0.0.0", 8080)]
    [TestCase("[::1]:7999,stream", "::1", 7999)]
    [TestCase("[::]:7999,stream", "::", 7999)]
    [TestCase("localhost:1,stream", "127.0.0.1", 1)]
    public void Valid_specs_are_parsed(string text, string address, int port)
    {
        var spec = ListenSpec.Parse(text);
        Assert.That(spec.EndPoint, Is.EqualTo(new IPEndPoint(IPAddress.Parse(address), port)));
        Assert.That(spec.Stream, Is.True);
    }

    [TestCase("127.0.0.1:7999")]
    [TestCase("127.0.0.1,stream")]
    [TestCase("1.2.3:80,stream")]
    [TestCase("example.com:80,stream")]
    [TestCase("127.0.0.1:99999,stream")]
    [TestCase("127.0.0.1:80,stream,tls")]
    [TestCase("127.0.0.1:80,req")]
    public void Bad_specs_are_refused_with_a_reason(string text) =>
        Assert.That(() => ListenSpec.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains("--listen="));
}
