using System.Security.Cryptography;
using System.Text;

namespace Pushpin.Proxy.Signing;

/// <summary>
/// A key that signs (or verifies) Grip-Sig JWTs: an HS256 secret, or a PEM RSA (RS256) or
/// EC P-256 (ES256) key.
/// </summary>
/// <remarks>
/// Config strings follow upstream: <c>base64:&lt;b64&gt;</c> is a binary secret, <c>file:&lt;path&gt;</c>
/// reads a file relative to a base directory (a PEM file if it starts with <c>-----BEGIN</c>,
/// otherwise its bytes are the secret), anything else is a UTF-8 secret. Tokens are built by
/// hand rather than with Microsoft.IdentityModel because that library refuses HMAC keys shorter
/// than 256 bits, and upstream's shipped default key (<c>changeme</c>) is 64 bits.
/// </remarks>
public sealed class GripSigningKey
{
    private readonly byte[]? _secret;
    private readonly string? _pem;

    private GripSigningKey(string algorithm, byte[]? secret, string? pem)
    {
        Algorithm = algorithm;
        _secret = secret;
        _pem = pem;
    }

    /// <summary><c>HS256</c>, <c>RS256</c> or <c>ES256</c>.</summary>
    public string Algorithm { get; }

    public static GripSigningKey FromSecret(byte[] secret) => new("HS256", (byte[])secret.Clone(), null);

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
        try
        {
            using (var ec = ECDsa.Create())
            {
                if (TryImport(() => ec.ImportFromPem(text)))
                {
                    return new GripSigningKey("ES256", null, text);
                }
            }
            using var rsa = RSA.Create();
            rsa.ImportFromPem(text);
            return new GripSigningKey("RS256", null, text);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
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

    internal byte[] Sign(ReadOnlySpan<byte> data)
    {
        switch (Algorithm)
        {
            case "HS256":
                return HMACSHA256.HashData(_secret!, data);
            case "ES256":
                {
                    using var ec = ECDsa.Create();
                    ec.ImportFromPem(_pem);
                    return ec.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                }
            default:
                {
                    using var rsa = RSA.Create();
                    rsa.ImportFromPem(_pem);
                    return rsa.SignData(data.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }
        }
    }

    internal bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            switch (Algorithm)
            {
                case "HS256":
                    return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_secret!, data), signature);
                case "ES256":
                    {
                        using var ec = ECDsa.Create();
                        ec.ImportFromPem(_pem);
                        return ec.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                    }
                default:
                    {
                        using var rsa = RSA.Create();
                        rsa.ImportFromPem(_pem);
                        return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    }
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
