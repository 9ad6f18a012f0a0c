using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Pushpin.Proxy.Signing;

/// <summary>
/// A key that signs (or verifies) Grip-Sig JWTs: an HS256 secret, or a PEM RSA (RS256) or
/// EC P-256 (ES256) key.
/// </summary>
/// <remarks>
/// Config strings follow upstream: <c>base64:&lt;b64&gt;</c> is a binary secret, <c>file:&lt;path&gt;</c>
/// reads a file relative to a base directory (a PEM file if it starts with <c>-----BEGIN</c>,
/// otherwise its bytes are the secret), anything else is a UTF-8 secret. The library's key,
/// signing credentials and validation parameters are built once here, not per request.
/// </remarks>
public sealed class GripSigningKey
{
    private GripSigningKey(string algorithm, SecurityKey key)
    {
        Algorithm = algorithm;
        Credentials = new SigningCredentials(key, algorithm);
        Validation = new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidAlgorithms = [algorithm],
            ValidateIssuer = false,
            ValidateAudience = false,
            // exp is checked by GripSig against the caller's clock, with upstream's rules.
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
        };
    }

    /// <summary><c>HS256</c>, <c>RS256</c> or <c>ES256</c>.</summary>
    public string Algorithm { get; }

    internal SigningCredentials Credentials { get; }

    internal TokenValidationParameters Validation { get; }

    /// <summary>The last token made with this key (see <see cref="GripSig.Create"/>); replaced whole, so no lock.</summary>
    internal CachedToken? LastToken { get; set; }

    /// <summary>The last token that verified with this key (its signature; exp is checked on each use).</summary>
    internal CachedToken? LastValidated { get; set; }

    public static GripSigningKey FromSecret(byte[] secret)
    {
        if (secret.Length == 0)
        {
            throw new FormatException("empty key");
        }
        var key = new SymmetricSecurityKey((byte[])secret.Clone());
        if (secret.Length * 8 < 256)
        {
            // The library refuses such keys; upstream's default (changeme) is one.
            key.CryptoProviderFactory = new CryptoProviderFactory { CustomCryptoProvider = ShortHmacCryptoProvider.Instance };
        }
        return new GripSigningKey(SecurityAlgorithms.HmacSha256, key);
    }

    /// <summary>Parses a config value; returns null for an empty value, throws <see cref="FormatException"/> for a bad one.</summary>
    public static GripSigningKey? FromConfigString(string? value, string baseDirectory)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (value.StartsWith("file:", StringComparison.Ordinal))
        {
            var path = value[5..];
            if (!Path.IsPathRooted(path))
            {
                path = Path.Combine(baseDirectory, path);
            }
            byte[] data;
            try
            {
                data = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FormatException($"failed to read key file {path}: {e.Message}", e);
            }
            return FromFileBytes(data, path);
        }
        if (value.StartsWith("base64:", StringComparison.Ordinal))
        {
            try
            {
                return FromSecret(Convert.FromBase64String(value[7..]));
            }
            catch (FormatException e)
            {
                throw new FormatException("invalid base64 key: " + e.Message, e);
            }
        }
        return FromSecret(Encoding.UTF8.GetBytes(value));
    }

    private static GripSigningKey FromFileBytes(byte[] data, string path)
    {
        var text = Encoding.UTF8.GetString(data);
        if (!text.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            return FromSecret(data);
        }
        // The key objects live as long as the routes that use them.
        var ec = ECDsa.Create();
        if (TryImport(() => ec.ImportFromPem(text)))
        {
            return new GripSigningKey(SecurityAlgorithms.EcdsaSha256, new ECDsaSecurityKey(ec));
        }
        ec.Dispose();
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(text);
            return new GripSigningKey(SecurityAlgorithms.RsaSha256, new RsaSecurityKey(rsa));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new FormatException($"unsupported PEM key in {path}: {e.Message}", e);
        }
    }

    private static bool TryImport(Action import)
    {
        try
        {
            import();
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }

    internal sealed record CachedToken(string Issuer, long Exp, string Token);
}
