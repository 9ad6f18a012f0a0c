using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pushpin.Connmgr.Client;

/// <summary>Loads a request's <c>client-cert</c>/<c>client-key</c> files (PEM) for TLS client authentication.</summary>
internal static class ClientCertificates
{
    /// <remarks>A file that cannot be read or parsed is a TLS failure for that request, not a crash.</remarks>
    public static X509CertificateCollection Load(string certFile, string? keyFile)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, string.IsNullOrEmpty(keyFile) ? null : keyFile);
            // Round trip through PKCS#12 so the private key is usable by the TLS stack.
            return [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }
        catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            throw new IOException($"client certificate {certFile}: {ex.Message}", ex);
        }
    }
}
