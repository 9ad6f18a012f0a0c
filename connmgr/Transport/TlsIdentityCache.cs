using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Pushpin.Connmgr.Transport;

/// <summary>
/// Server certificates from <c>--tls-identities-dir</c>, as upstream connmgr finds them: identity
/// <c>NAME</c> is the PEM pair <c>NAME.crt</c> (certificate, then its chain) and <c>NAME.key</c>.
/// </summary>
/// <remarks>
/// A client's SNI host name picks <c>host.crt</c>, then the one-level wildcard <c>_.rest.crt</c>
/// (for <c>*.rest</c>), then the listener's <c>default-cert</c>. Identities load on first use and
/// reload when either file is newer than what was loaded, so certificates can be renewed without a
/// restart (as upstream). A name that cannot be loaded is looked up again next time.
/// </remarks>
internal sealed class TlsIdentityCache
{
    private const int MaxNameLength = 253;

    private readonly string _directory;
    private readonly ConcurrentDictionary<string, Identity> _loaded = new(StringComparer.Ordinal);

    public TlsIdentityCache(string directory) => _directory = directory;

    /// <summary>Called with the identity name and the reason when a pair exists but cannot be used.</summary>
    public Action<string, string>? LoadFailed { get; init; }

    /// <summary>The identity for a handshake, or null when neither the SNI name nor the default has one.</summary>
    public SslServerAuthenticationOptions? Select(string? serverName, string? defaultName)
    {
        if (!string.IsNullOrEmpty(serverName) && GetByDomain(serverName) is { } byName)
        {
            return byName;
        }
        return defaultName is null ? null : GetByName(defaultName);
    }

    /// <summary>Exact host first, then the wildcard file at the same level (<c>_.example.com</c>).</summary>
    private SslServerAuthenticationOptions? GetByDomain(string domain)
    {
        var name = domain.ToLowerInvariant();
        if (GetByName(name) is { } exact)
        {
            return exact;
        }
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? null : GetByName(string.Concat("_", name.AsSpan(dot)));
    }

    private SslServerAuthenticationOptions? GetByName(string name)
    {
        if (!IsSafeName(name))
        {
            return null;
        }
        var certPath = Path.Combine(_directory, name + ".crt");
        var keyPath = Path.Combine(_directory, name + ".key");
        DateTime modified;
        try
        {
            modified = Max(File.GetLastWriteTimeUtc(certPath), File.GetLastWriteTimeUtc(keyPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (_loaded.TryGetValue(name, out var cached) && cached.Modified >= modified)
        {
            return cached.Options;
        }
        // File.GetLastWriteTimeUtc answers 1601-01-01 for a missing file rather than throwing.
        if (!File.Exists(certPath) || !File.Exists(keyPath))
        {
            return null;
        }
        try
        {
            var identity = Load(certPath, keyPath, modified);
            _loaded[name] = identity;
            return identity.Options;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            LoadFailed?.Invoke(name, ex.Message);
            return null;
        }
    }

    private static Identity Load(string certPath, string keyPath, DateTime modified)
    {
        var leaf = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certPath);
        var intermediates = new X509Certificate2Collection();
        foreach (var c in chain)
        {
            if (c.Thumbprint != leaf.Thumbprint)
            {
                intermediates.Add(c);
            }
        }
        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            // HTTP/1.1 only: never let a client believe h2 was agreed.
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            EnabledSslProtocols = SslProtocols.None,
            ClientCertificateRequired = false,
        };
        return new Identity(options, modified);
    }

    private static bool IsSafeName(string name)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            return false;
        }
        foreach (var c in name)
        {
            // No control characters or separators: the name becomes a file name.
            if (c < 0x20 || c == '/' || c == '\\')
            {
                return false;
            }
        }
        return name is not "." and not "..";
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private sealed record Identity(SslServerAuthenticationOptions Options, DateTime Modified);
}
