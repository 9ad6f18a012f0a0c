using System.Net;
using Pushpin.Connmgr.Transport;

namespace Pushpin.ProtocolTests.Connmgr.Transport;

[TestFixture]
public sealed class ListenSpecUnitTests
{
    [TestCase("127.0.0.1:7999,stream", "127.0.0.1", 7999)]
    [TestCase("127.0.0.1:7999", "127.0.0.1", 7999)]
    [TestCase("7999", "0.0.0.0", 7999)]
    [TestCase("0.0.0.0:80,stream", "0.0.0.0", 80)]
    [TestCase("*:8080,stream", "0.0.0.0", 8080)]
    [TestCase("[::1]:7999,stream", "::1", 7999)]
    [TestCase("[::]:7999,stream", "::", 7999)]
    [TestCase("localhost:1,stream", "127.0.0.1", 1)]
    public void Valid_tcp_specs_are_parsed(string text, string address, int port)
    {
        var spec = ListenSpec.Parse(text);
        Assert.That(spec.EndPoint, Is.EqualTo(new IPEndPoint(IPAddress.Parse(address), port)));
        Assert.That((spec.IsUnix, spec.Tls), Is.EqualTo((false, false)));
    }

    [Test]
    public void Tls_spec_as_the_runner_passes_it_names_the_default_identity()
    {
        var spec = ListenSpec.Parse("0.0.0.0:443,stream,tls,default-cert=default_443");
        Assert.That((spec.EndPoint, spec.Tls, spec.DefaultCert), Is.EqualTo((new IPEndPoint(IPAddress.Any, 443), true, "default_443")));
        Assert.That(ListenSpec.Parse("[::1]:8443,tls").DefaultCert, Is.Null);
    }

    [Test]
    public void Local_spec_as_the_runner_passes_it_carries_mode_user_and_group()
    {
        var spec = ListenSpec.Parse("/run/pushpin/http.sock,local,stream,mode=660,user=www-data,group=adm");
        Assert.That(spec.UnixPath, Is.EqualTo("/run/pushpin/http.sock"));
        Assert.That(spec.Mode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
        Assert.That((spec.User, spec.Group, spec.EndPoint), Is.EqualTo(("www-data", "adm", (IPEndPoint?)null)));
    }

    [Test]
    public void Unix_prefix_is_a_spelling_of_local()
    {
        var spec = ListenSpec.Parse("unix:/tmp/p.sock,stream,mode=777");
        Assert.That((spec.UnixPath, spec.Mode), Is.EqualTo(("/tmp/p.sock", (UnixFileMode?)(UnixFileMode)0x1ff)));
    }

    [TestCase("127.0.0.1:80,req", true)]
    [TestCase("127.0.0.1:80,req,stream", false)]
    [TestCase("127.0.0.1:80", false)]
    [TestCase("/tmp/r.sock,local,req", true)]
    public void Req_marks_a_req_mode_listener_and_stream_wins_as_upstream(string text, bool req) =>
        Assert.That(ListenSpec.Parse(text).Req, Is.EqualTo(req));

    [TestCase("127.0.0.1,stream")]
    [TestCase("1.2.3:80,stream")]
    [TestCase("example.com:80,stream")]
    [TestCase("127.0.0.1:99999,stream")]
    [TestCase("::1:80,stream")]
    [TestCase("127.0.0.1:80,stream,bogus")]
    [TestCase("127.0.0.1:80,tls,default-cert=")]
    [TestCase("127.0.0.1:80,mode=777")]
    [TestCase("/tmp/x.sock,local,tls")]
    [TestCase("/tmp/x.sock,local,mode=999")]
    [TestCase("/tmp/x.sock,local,mode=rw")]
    [TestCase("unix:,stream")]
    public void Bad_specs_are_refused_with_a_reason(string text) =>
        Assert.That(() => ListenSpec.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains("--listen="));
}
