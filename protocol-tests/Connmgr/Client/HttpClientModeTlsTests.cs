using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr.Client;

/// <summary>Client mode against a real HTTPS backend with a self-signed certificate.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class HttpClientModeTlsTests
{
    [Test]
    public async Task Untrusted_certificate_is_tls_error_unless_tls_errors_are_ignored()
    {
        await using var probe = await TestBackend.StartAsync(app => app.MapGet("/probe", () => "ok"));
        var port = FreePorts.One();
        using var cert = SelfSigned();
        await using var app = await StartHttpsAsync(port, cert, a => a.MapGet("/secure", (HttpContext c) => $"secure {c.Request.Host}"));
        await using var h = await ClientHarness.StartAsync(probe);

        var refused = await h.NextAsync(h.Begin(h.Request("GET", $"https://localhost:{port}/secure", ignorePolicies: true)));
        Assert.That((refused.Type, refused.Condition), Is.EqualTo((ZhttpPacketType.Error, "tls-error")));

        var request = h.Request("GET", $"https://localhost:{port}/secure", [("Host", $"localhost:{port}")], ignorePolicies: true);
        request.IgnoreTlsErrors = true;
        var packets = await h.CollectAsync(h.Begin(request));
        Assert.That(packets[0].Code, Is.EqualTo(200));
        Assert.That(ClientHarness.Body(packets), Is.EqualTo($"secure localhost:{port}"));
        await app.StopAsync();
    }

    [Test]
    public async Task Wss_to_a_self_signed_backend_needs_ignore_tls_errors_and_then_echoes()
    {
        await using var probe = await TestBackend.StartAsync(app => app.MapGet("/probe", () => "ok"));
        var port = FreePorts.One();
        using var cert = SelfSigned();
        await using var app = await StartHttpsAsync(port, cert, a =>
        {
            a.UseWebSockets();
            a.Map("/ws", EchoOnceAsync);
        });
        await using var h = await ClientHarness.StartAsync(probe);

        ZhttpPacket Request(bool ignoreErrors) => new()
        {
            Method = "GET",
            Uri = $"wss://localhost:{port}/ws",
            Headers = [new HttpHeader("Host", $"localhost:{port}")],
            RouterResp = true,
            Credits = 8192,
            IgnorePolicies = true,
            IgnoreTlsErrors = ignoreErrors,
        };
        var refused = await h.NextAsync(h.Begin(Request(false)));
        Assert.That((refused.Type, refused.Condition), Is.EqualTo((ZhttpPacketType.Error, "tls-error")));

        var id = h.Begin(Request(true));
        var accept = await h.NextAsync(id);
        Assert.That(accept.Code, Is.EqualTo(101), accept.ToString());
        h.Continue(id, 1, new ZhttpPacket { ContentType = "text", Body = "secret"u8.ToArray() });
        var echo = await h.NextContentAsync(id);
        Assert.That(System.Text.Encoding.UTF8.GetString(echo.Body.Span), Is.EqualTo("secret"));
        var close = await h.NextContentAsync(id);
        Assert.That((close.Type, close.Code), Is.EqualTo((ZhttpPacketType.Close, 1000)));
        await app.StopAsync();
    }

    [Test]
    public async Task Client_certificate_from_the_request_is_presented_to_a_backend_that_requires_one()
    {
        await using var probe = await TestBackend.StartAsync(app => app.MapGet("/probe", () => "ok"));
        var port = FreePorts.One();
        using var serverCert = SelfSigned();
        var dir = Directory.CreateTempSubdirectory("cm-client-cert-");
        try
        {
            var (certFile, keyFile, thumbprint) = WriteClientIdentity(dir.FullName, "pushpin-test-client");
            var https = new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
            {
                ServerCertificate = serverCert,
                ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate,
                // Only the identity generated above is welcome.
                ClientCertificateValidation = (c, _, _) => c.Thumbprint == thumbprint,
            };
            await using var app = await StartHttpsAsync(port, https, a => a.MapGet("/who", (HttpContext c) => $"client {c.Connection.ClientCertificate?.Subject}"));
            await using var h = await ClientHarness.StartAsync(probe);

            ZhttpPacket Request(string? cert, string? key)
            {
                var r = h.Request("GET", $"https://localhost:{port}/who", [("Host", $"localhost:{port}")], ignorePolicies: true);
                r.IgnoreTlsErrors = true;
                r.ClientCert = cert;
                r.ClientKey = key;
                return r;
            }

            var packets = await h.CollectAsync(h.Begin(Request(certFile, keyFile)));
            Assert.That(packets[0].Code, Is.EqualTo(200), packets[0].ToString());
            Assert.That(ClientHarness.Body(packets), Is.EqualTo("client CN=pushpin-test-client"));

            // Without the certificate the backend refuses; the pooled connection that carried one is not reused for it.
            var refused = await h.CollectAsync(h.Begin(Request(null, null)));
            Assert.That(refused[^1].Type, Is.EqualTo(ZhttpPacketType.Error), string.Join("\n", refused));
            Assert.That(refused[^1].Condition, Is.AnyOf("tls-error", "remote-connection-failed"));

            // A certificate file that does not exist is this request's TLS error, not a crash.
            var missing = await h.CollectAsync(h.Begin(Request(Path.Combine(dir.FullName, "missing.crt"), keyFile)));
            Assert.That((missing[^1].Type, missing[^1].Condition), Is.EqualTo((ZhttpPacketType.Error, "tls-error")));

            // And the one with the certificate still works after both failures.
            Assert.That(ClientHarness.Body(await h.CollectAsync(h.Begin(Request(certFile, keyFile)))), Is.EqualTo("client CN=pushpin-test-client"));
            await app.StopAsync();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A client identity (clientAuth, self-signed) as PEM files, as a route's <c>client_cert</c>/<c>client_key</c> would name.</summary>
    private static (string CertFile, string KeyFile, string Thumbprint) WriteClientIdentity(string dir, string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = Path.Combine(dir, name + ".crt");
        var keyFile = Path.Combine(dir, name + ".key");
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, rsa.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile, cert.Thumbprint);
    }

    /// <summary>Echoes one message, then closes with 1000.</summary>
    private static async Task EchoOnceAsync(HttpContext c)
    {
        using var ws = await c.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[1024];
        var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
        await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
        await ws.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    /// <summary>Kestrel serving HTTPS on 127.0.0.1:<paramref name="port"/> with <paramref name="cert"/>.</summary>
    private static Task<WebApplication> StartHttpsAsync(int port, X509Certificate2 cert, Action<WebApplication> map) =>
        StartHttpsAsync(port, new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions { ServerCertificate = cert }, map);

    private static async Task<WebApplication> StartHttpsAsync(int port, Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions https, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(https)));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel needs a certificate whose key it can use: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }
}
