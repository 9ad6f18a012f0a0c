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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(cert)));
        await using var app = builder.Build();
        app.MapGet("/secure", (HttpContext c) => $"secure {c.Request.Host}");
        await app.StartAsync();
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
