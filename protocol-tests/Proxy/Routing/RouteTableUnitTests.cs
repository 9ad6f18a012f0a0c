using NUnit.Framework;
using Pushpin.Proxy.Routing;

namespace Pushpin.ProtocolTests.Proxy.Routing;

public sealed class RouteTableUnitTests
{
    private static RouteTable Build(List<RouteLoadError> errors, params string[] lines) =>
        RouteTable.Build(lines, "routes", "/tmp", errors);

    private static RouteTable Build(params string[] lines)
    {
        var errors = new List<RouteLoadError>();
        var table = Build(errors, lines);
        Assert.That(errors, Is.Empty);
        return table;
    }

    private static readonly object[] InvalidLines =
    [
        new object[] { "*", "routes:1: must specify condition and at least one target" },
        new object[] { "*,proto=ftp test", "routes:1: proto must be set to 'http' or 'ws'" },
        new object[] { "*,ssl=maybe test", "routes:1: ssl must be set to 'yes' or 'no'" },
        new object[] { "*,path_beg= test", "routes:1: path_beg cannot be empty" },
        new object[] { "*,jsonp_mode=odd test", "routes:1: jsonp_mode must be set to 'basic' or 'extended'" },
        new object[] { "*,header=nocolon test", "routes:1: header must use format 'name:value'" },
        new object[] { "*,header=:v test", "routes:1: header must use format 'name:value'" },
        new object[] { "* localhost", "routes:1: target bad format" },
        new object[] { "* localhost:0", "routes:1: target invalid port" },
        new object[] { "* localhost:65536", "routes:1: target invalid port" },
        new object[] { "* localhost:http", "routes:1: target invalid port" },
        new object[] { "* [::1]8080", "routes:1: target bad format" },
        new object[] { "*,sig_key=file:/nonexistent/key test", "routes:1: sig_key: failed to read key file /nonexistent/key" },
        new object[] { "*,\"x test", "routes:1: unterminated quoted section" },
        new object[] { "* a:1,client_cert=/nonexistent/cert.pem", "routes:1: failed to open /nonexistent/cert.pem" },
    ];

    [TestCaseSource(nameof(InvalidLines))]
    public void Invalid_line_is_skipped_with_file_line_and_reason(string line, string expected)
    {
        var errors = new List<RouteLoadError>();
        var table = Build(errors, line, "* test");
        Assert.Multiple(() =>
        {
            Assert.That(errors, Has.Count.EqualTo(1));
            Assert.That(errors[0].ToString(), Does.StartWith(expected));
            Assert.That(table.Routes, Has.Count.EqualTo(1), "the valid line still loads");
        });
    }

    [Test]
    public void Duplicate_condition_is_skipped()
    {
        var errors = new List<RouteLoadError>();
        var table = Build(errors, "* a:1", "*,path_beg=/x b:2", "* c:3", "example.com d:4");
        Assert.Multiple(() =>
        {
            Assert.That(errors.Select(e => e.ToString()), Is.EqualTo(new[] { "routes:3: skipping duplicate condition" }));
            Assert.That(table.Match(RouteProtocol.Http, false, "h", "/")!.Targets[0].ConnectHost, Is.EqualTo("a"));
        });
    }

    // host, proto, ssl, path -> expected first target host (or null = no route)
    private static readonly object?[] MatchCases =
    [
        new object?[] { "other.com", RouteProtocol.Http, false, "/", "star" },
        new object?[] { "EXAMPLE.com", RouteProtocol.Http, false, "/", "exact" },
        new object?[] { "example.com", RouteProtocol.Http, false, "/api/v1", "exactapi" },
        new object?[] { "example.com", RouteProtocol.WebSocket, false, "/", "exactws" },
        new object?[] { "example.com", RouteProtocol.WebSocket, false, "/api/x", "exactws" },
        new object?[] { "example.com", RouteProtocol.Http, true, "/", "exactssl" },
        new object?[] { "only.com", RouteProtocol.Http, false, "/other", null },
        new object?[] { "only.com", RouteProtocol.Http, false, "/p/1", "onlyp" },
        new object?[] { "other.com", RouteProtocol.Http, false, "/long/path", "starlong" },
        new object?[] { "other.com", RouteProtocol.Http, false, "/lon", "star" },
        new object?[] { "wsonly.com", RouteProtocol.Http, false, "/", null },
        new object?[] { "wsonly.com", RouteProtocol.WebSocket, false, "/", "wsonly" },
    ];

    [TestCaseSource(nameof(MatchCases))]
    public void Route_selection_follows_upstream_precedence(string host, RouteProtocol proto, bool ssl, string path, string? expected)
    {
        var table = Build(
            "* star:1",
            "*,path_beg=/long star2:1",
            "*,path_beg=/long/ starlong:1",
            "example.com exact:1",
            "example.com,path_beg=/api exactapi:1",
            "example.com,proto=ws exactws:1",
            "example.com,ssl=yes exactssl:1",
            "only.com,path_beg=/p onlyp:1",
            "wsonly.com,proto=ws wsonly:1");
        var route = table.Match(proto, ssl, host, path);
        Assert.That(route?.Targets[0].ConnectHost, Is.EqualTo(expected));
    }

    [Test]
    public void Proto_specific_rule_beats_longer_path_beg()
    {
        var table = Build("*,path_beg=/a/b/c x:1", "*,proto=http y:1");
        Assert.That(table.Match(RouteProtocol.Http, false, "h", "/a/b/c/d")!.Targets[0].ConnectHost, Is.EqualTo("y"));
    }

    [Test]
    public void Equal_rules_tie_to_the_earlier_line()
    {
        var table = Build("*,ssl=yes x:1", "*,proto=http,ssl=no y:1", "*,proto=http z:1");
        Assert.That(table.Match(RouteProtocol.Http, false, "h", "/")!.Targets[0].ConnectHost, Is.EqualTo("y"));
    }

    [Test]
    public void Route_options_are_parsed()
    {
        var table = Build("*,id=r1,path_beg=/rb,replace_beg=/zz,as_host=backend:81,\"header=X-A: 1\",header=X-B:,prefix=p-,sig_iss=other,sig_key=base64:c2VjcmV0,debug,aco,no_grip,session,jsonp_mode=basic,log_level=2 [::1]:8080,ssl,insecure,untrusted,host=h.example,sub=a,sub=,over_http,one_event test zhttp/tcp://127.0.0.1:9000 zhttpreq/tcp://127.0.0.1:9100");
        var r = table.Routes[0];
        Assert.Multiple(() =>
        {
            Assert.That(r.Id, Is.EqualTo("r1"));
            Assert.That(r.ExplicitId, Is.True);
            Assert.That(r.PathRemove, Is.EqualTo(3));
            Assert.That(r.PathPrepend, Is.EqualTo("/zz"));
            Assert.That(r.AsHost, Is.EqualTo("backend:81"));
            Assert.That(r.Headers, Is.EqualTo(new[] { new KeyValuePair<string, string>("X-A", "1"), new KeyValuePair<string, string>("X-B", "") }));
            Assert.That(r.Prefix, Is.EqualTo("p-"));
            Assert.That(r.SigIss, Is.EqualTo("other"));
            Assert.That(r.SigKey!.Algorithm, Is.EqualTo("HS256"));
            Assert.That(r.Debug && r.AutoCrossOrigin && r.Session, Is.True);
            Assert.That(r.Grip, Is.False);
            Assert.That(r.Jsonp.Basic, Is.True);
            Assert.That(r.Jsonp.DefaultMethod, Is.EqualTo("POST"));
            Assert.That(r.LogLevel, Is.EqualTo(2));
            Assert.That(r.Targets, Has.Count.EqualTo(4));
            var t = r.Targets[0];
            Assert.That((t.Kind, t.ConnectHost, t.ConnectPort), Is.EqualTo((RouteTargetKind.Default, "::1", 8080)));
            Assert.That(t.Ssl && t.Insecure && t.OverHttp && t.OneEvent, Is.True);
            Assert.That(t.Trusted, Is.False);
            Assert.That(t.Host, Is.EqualTo("h.example"));
            Assert.That(t.Subscriptions, Is.EqualTo(new[] { "a" }));
            Assert.That(t.ToString(), Is.EqualTo("[::1]:8080"));
            Assert.That(r.Targets[1].Kind, Is.EqualTo(RouteTargetKind.Test));
            Assert.That(r.Targets[1].Trusted, Is.True);
            Assert.That(r.Targets[2].ToString(), Is.EqualTo("zhttp/tcp://127.0.0.1:9000"));
            Assert.That(r.Targets[3].ZhttpReq, Is.True);
        });
    }

    [Test]
    public void Path_rem_and_generated_id()
    {
        var table = Build("example.com,proto=http,ssl=no,path_beg=/rem,path_rem=4 test", "* test");
        Assert.Multiple(() =>
        {
            Assert.That(table.Routes[0].PathRemove, Is.EqualTo(4));
            Assert.That(table.Routes[0].Id, Is.EqualTo("example.com,http,ssl,/rem"));
            Assert.That(table.Routes[0].ExplicitId, Is.False);
            Assert.That(table.Routes[1].Id, Is.EqualTo("*,*,*,*"));
            Assert.That(table.Routes[1].StatsRoute, Is.Null);
        });
    }

    [Test]
    public void Route_by_id_requires_matching_path_and_a_unique_id()
    {
        var table = Build("*,id=myroute,path_beg=/idr a:1", "x.com,id=dup b:1", "y.com,id=dup c:1", ",id=hidden d:1");
        Assert.Multiple(() =>
        {
            Assert.That(table.FindById("myroute", "/idr/x")!.Targets[0].ConnectHost, Is.EqualTo("a"));
            Assert.That(table.FindById("myroute", "/other"), Is.Null);
            Assert.That(table.FindById("myroute")!.Id, Is.EqualTo("myroute"));
            Assert.That(table.FindById("nope", "/"), Is.Null);
            Assert.That(table.IsIdShared("dup"), Is.True);
            Assert.That(table.FindById("dup", "/"), Is.Null);
            Assert.That(table.FindById("hidden", "/")!.Targets[0].ConnectHost, Is.EqualTo("d"));
            Assert.That(table.Match(RouteProtocol.Http, false, "z.com", "/"), Is.Null, "a path_beg route does not catch other paths");
        });
    }
}
