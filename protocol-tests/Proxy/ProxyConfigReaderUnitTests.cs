using NUnit.Framework;
using Pushpin.Common.Config;
using Pushpin.Common.Hosting;
using Pushpin.Proxy;

namespace Pushpin.ProtocolTests.Proxy;

public sealed class ProxyConfigReaderUnitTests
{
    private static ProxyOptions Read(string conf, params string[] args)
    {
        var path = Path.Combine(Path.GetTempPath(), "pushpin-proxy-conf-" + Guid.NewGuid().ToString("N"), "pushpin.conf");
        var config = PushpinConfig.Parse(conf, path);
        return ProxyConfigReader.Read(config, DaemonArguments.Parse(args));
    }

    [Test]
    public void Proxy_section_is_read_with_upstream_meanings()
    {
        var o = Read("""
            [global]
            port_offset=10
            [proxy]
            routesfile=routes
            debug=true
            sig_iss=me
            sig_key=base64:c2VjcmV0
            upstream_key=up
            x_forwarded_for=truncate:0,append
            x_forwarded_for_trusted=append
            set_x_forwarded_protocol=true
            accept_x_forwarded_protocol=true
            accept_pushpin_route=true
            cdn_loop=pushpin
            orig_headers_need_mark=Cookie, Authorization
            connmgr_in_specs=tcp://127.0.0.1:3000
            """, "--route", "* test");
        Assert.Multiple(() =>
        {
            Assert.That(o.RoutesFile, Does.EndWith(Path.DirectorySeparatorChar + "routes"));
            Assert.That(o.RouteLines, Is.EqualTo(new[] { "* test" }));
            Assert.That(o.Debug, Is.True);
            Assert.That(o.SigIss, Is.EqualTo("me"));
            Assert.That(o.SigKey!.Algorithm, Is.EqualTo("HS256"));
            Assert.That(o.UpstreamKey, Is.Not.Null);
            Assert.That((o.XffUntrusted.Truncate, o.XffUntrusted.Append), Is.EqualTo((0, true)));
            Assert.That((o.XffTrusted.Truncate, o.XffTrusted.Append), Is.EqualTo((-1, true)));
            Assert.That((o.SetXForwardedProto, o.SetXForwardedProtocol, o.AcceptXForwardedProtocol), Is.EqualTo((true, true, true)));
            Assert.That(o.AcceptPushpinRoute, Is.True);
            Assert.That(o.CdnLoop, Is.EqualTo("pushpin"));
            Assert.That(o.OrigHeadersNeedMark, Is.EqualTo(new[] { "Cookie", "Authorization" }));
            Assert.That(o.ConnmgrInSpecs, Is.EqualTo(new[] { "tcp://127.0.0.1:3010" }), "port_offset applies");
            Assert.That(o.HandlerAcceptSpec, Is.EqualTo("tcp://127.0.0.1:14611"), "built-in internal default, offset");
        });
    }

    [TestCase("proto-only", true, false)]
    [TestCase("false", false, false)]
    [TestCase("", false, false)]
    public void Set_x_forwarded_protocol_values(string value, bool proto, bool protocol)
    {
        var o = Read($"[proxy]\nset_x_forwarded_protocol={value}\n");
        Assert.That((o.SetXForwardedProto, o.SetXForwardedProtocol), Is.EqualTo((proto, protocol)));
    }

    [Test]
    public void Missing_sig_key_means_no_signing()
    {
        var o = Read("[proxy]\nsig_key=\n");
        Assert.That(o.SigKey, Is.Null);
    }
}
