using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Pushpin.Connmgr.Transport;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>TLS (SNI-selected identities), unix-socket and multiple listeners of one server.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ListenerTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("connmgr-tls-").FullName;
        WriteIdentity("a.example", "a.example");
        WriteIdentity("b.example", "b.example");
        WriteIdentity("_.wild.example", "*.wild.example");
        WriteIdentity("fallback", "fallback.invalid");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Tls_listener_picks_the_certificate_by_sni_and_the_uri_is_https()
    {
        var tlsPort = FreePorts.One();
        await using var h = await StartWithTlsAsync(tlsPort, defaultCert: null);
        foreach (var host in new[] { "a.example", "b.example" })
        {
            var (subject, packet, body) = await GetOverTlsAsync(h, tlsPort, host, "/secure?x=1");
            Assert.That(subject, Is.EqualTo("CN=" + host), $"certificate for SNI {host}");
            Assert.That(packet, Is.EqualTo($"https://{host}:{tlsPort}/secure?x=1"));
            Assert.That(body, Is.EqualTo("hello " + host));
        }
    }

    [Test]
    public async Task Wildcard_file_and_default_cert_cover_other_names()
    {
        var tlsPort = FreePorts.One();
        await using var h = await StartWithTlsAsync(tlsPort, defaultCert: "fallback");
        var (wild, _, _) = await GetOverTlsAsync(h, tlsPort, "api.wild.example", "/");
        Assert.That(wild, Is.EqualTo("CN=*.wild.example"));
        var (other, _, _) = await GetOverTlsAsync(h, tlsPort, "unknown.test", "/");
        Assert.That(other, Is.EqualTo("CN=fallback.invalid"));
    }

    [Test]
    public async Task Unknown_name_without_default_fails_the_handshake_and_the_listener_keeps_serving()
    {
        var tlsPort = FreePorts.One();
        await using var h = await StartWithTlsAsync(tlsPort, defaultCert: null);
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, tlsPort);
            await using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            Assert.That(
                async () => await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "nobody.test" }),
                Throws.InstanceOf<Exception>());
        }
        var (subject, _, _) = await GetOverTlsAsync(h, tlsPort, "a.example", "/after");
        Assert.That(subject, Is.EqualTo("CN=a.example"));
    }

    [Test]
    public async Task Websocket_upgrade_over_tls_becomes_a_wss_session()
    {
        var tlsPort = FreePorts.One();
        await using var h = await StartWithTlsAsync(tlsPort, defaultCert: null);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, tlsPort);
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "b.example" });
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(
            "GET /ws HTTP/1.1\r\nHost: b.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var p = await h.ExpectPacketAsync();
        Assert.That(p.Uri, Is.EqualTo("wss://b.example/ws"));
    }

    [Test]
    public async Task Unix_socket_listener_serves_a_raw_request_with_its_mode_and_no_peer_address()
    {
        var path = Path.Combine(_dir, "http.sock");
        await using var h = await ServerHarness.StartAsync(o => o with
        {
            Listen = [.. o.Listen, ListenSpec.Parse($"{path},local,stream,mode=660")],
        });
        Assume.That(OperatingSystem.IsWindows(), Is.False);
        Assert.That(OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /local HTTP/1.1\r\nHost: svc\r\n\r\n"));
        var p = await h.ExpectPacketAsync();
        Assert.That((p.Uri, p.PeerAddress, p.PeerPort), Is.EqualTo(("http://svc/local", (string?)null, -1)));
        new ResponderSession(h.Responder, "resp1", p).Respond(200, "OK", [], "via unix", more: false);
        Assert.That(await ReceiveUntilAsync(socket, "via unix"), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nvia unix"));

        // HTTP/1.0 without Host: the authority is "localhost", as upstream.
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /ten HTTP/1.0\r\n\r\n"));
        Assert.That((await h.ExpectPacketAsync()).Uri, Is.EqualTo("http://localhost/ten"));
    }

    [Test]
    public async Task Stale_unix_socket_file_is_replaced_and_removed_at_shutdown()
    {
        var path = Path.Combine(_dir, "stale.sock");
        await File.WriteAllTextAsync(path, "left over");
        var h = await ServerHarness.StartAsync(o => o with { Listen = [.. o.Listen, ListenSpec.Parse($"unix:{path}")] });
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        }
        finally
        {
            await h.DisposeAsync();
        }
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public async Task Several_tcp_ports_on_ipv4_and_ipv6_serve_at_once()
    {
        var second = FreePorts.One();
        var v6 = FreePortV6();
        await using var h = await ServerHarness.StartAsync(o => o with
        {
            Listen = [.. o.Listen, ListenSpec.Parse($"127.0.0.1:{second}"), ListenSpec.Parse($"[::1]:{v6},stream")],
        });
        Assert.That(h.Server.LocalEndPoints, Has.Count.EqualTo(3));
        foreach (var (address, port) in new[] { (IPAddress.Loopback, second), (IPAddress.IPv6Loopback, v6) })
        {
            using var tcp = new TcpClient(address.AddressFamily);
            await tcp.ConnectAsync(address, port);
            using var client = new TestClient(tcp);
            await client.SendAsync($"GET /p{port} HTTP/1.1\r\nHost: h\r\n\r\n");
            var p = await h.ExpectPacketAsync();
            Assert.That((p.Uri, p.PeerAddress), Is.EqualTo(($"http://h/p{port}", address.ToString())));
            new ResponderSession(h.Responder, "resp1", p).Respond(200, "OK", [], "ok", more: false);
            Assert.That(await client.ReadResponseAsync(), Does.EndWith("\r\n\r\nok"));
        }
    }

    private Task<ServerHarness> StartWithTlsAsync(int tlsPort, string? defaultCert) =>
        ServerHarness.StartAsync(o => o with
        {
            Listen = [.. o.Listen, ListenSpec.Tcp(new IPEndPoint(IPAddress.Loopback, tlsPort), tls: true, defaultCert)],
            TlsIdentitiesDir = _dir,
        });

    /// <summary>An HttpClient GET to https://HOST:PORT (connected to loopback, so SNI is HOST); returns the served certificate's subject, the zhttp uri and the body.</summary>
    private static async Task<(string Subject, string? Uri, string Body)> GetOverTlsAsync(ServerHarness h, int port, string host, string path)
    {
        string? subject = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(IPAddress.Loopback, port, ct);
                return new NetworkStream(s, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    subject = cert?.Subject;
                    return true;
                },
            },
        };
        using var http = new HttpClient(handler) { Timeout = ServerHarness.Wait };
        var get = http.GetStringAsync(new Uri($"https://{host}:{port}{path}"));
        var p = await h.NextPacketAsync();
        if (p is null)
        {
            // The handshake failed or nothing arrived: surface the client's error.
            await get;
            Assert.Fail("no packet reached the responder");
        }
        new ResponderSession(h.Responder, "resp1", p!).Respond(200, "OK", [("Content-Type", "text/plain")], "hello " + host, more: false);
        var body = await get;
        return (subject!, p!.Uri, body);
    }

    private static async Task<string> ReceiveUntilAsync(Socket socket, string end)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(ServerHarness.Wait);
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                break;
            }
            text.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    private void WriteIdentity(string fileName, string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(commonName);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(_dir, fileName + ".crt"), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, fileName + ".key"), key.ExportPkcs8PrivateKeyPem());
    }

    private static int FreePortV6()
    {
        using var l = new TcpListener(IPAddress.IPv6Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
