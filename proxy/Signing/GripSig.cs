using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Pushpin.Proxy.Signing;

/// <summary>Creates and checks Grip-Sig tokens (JWT, claims <c>exp</c> and <c>iss</c>) with Microsoft.IdentityModel.</summary>
/// <remarks>
/// The header and claims are written as upstream writes them (<c>{"typ":"JWT","alg":…}</c> and
/// <c>{"exp":…,"iss":…}</c>, byte for byte), so an HS256 token equals upstream's for the same
/// second, key and issuer. A token only changes once a second, so the last one per key and issuer is
/// reused: signing costs a request nothing most of the time.
/// </remarks>
public static class GripSig
{
    /// <summary>Token lifetime, as upstream: one hour.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    // Thread-safe; default times off so the payload goes out exactly as written.
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private static readonly JsonSerializerOptions IssuerJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A token <c>{"exp": now + 3600, "iss": iss}</c> signed with <paramref name="key"/>.</summary>
    public static string Create(string issuer, GripSigningKey key, DateTimeOffset now)
    {
        var exp = (now + Lifetime).ToUnixTimeSeconds();
        var last = key.LastToken;
        if (last is not null && last.Exp == exp && string.Equals(last.Issuer, issuer, StringComparison.Ordinal))
        {
            return last.Token;
        }
        var payload = "{\"exp\":" + exp.ToString(CultureInfo.InvariantCulture) + ",\"iss\":" + JsonSerializer.Serialize(issuer, IssuerJson) + "}";
        var token = Sign(payload, key);
        key.LastToken = new GripSigningKey.CachedToken(issuer, exp, token);
        return token;
    }

    /// <summary>
    /// Compact JWS with upstream's header bytes (<c>{"typ":"JWT","alg":…}</c>, the order its
    /// JWT library writes), signed by the library's provider for the key.
    /// </summary>
    private static string Sign(string payload, GripSigningKey key)
    {
        var header = "{\"typ\":\"JWT\",\"alg\":\"" + key.Algorithm + "\"}";
        var signingInput = Base64UrlEncoder.Encode(header) + "." + Base64UrlEncoder.Encode(payload);
        var credentials = key.Credentials;
        var factory = credentials.CryptoProviderFactory ?? credentials.Key.CryptoProviderFactory;
        var provider = factory.CreateForSigning(credentials.Key, credentials.Algorithm);
        try
        {
            return signingInput + "." + Base64UrlEncoder.Encode(provider.Sign(Encoding.ASCII.GetBytes(signingInput)));
        }
        finally
        {
            factory.ReleaseSignatureProvider(provider);
        }
    }

    /// <summary>
    /// True when <paramref name="token"/> verifies with <paramref name="key"/> (its algorithm only)
    /// and its <c>exp</c> is in the future (a missing or non-positive exp is invalid; <c>iss</c>
    /// is not checked), as upstream.
    /// </summary>
    public static bool Validate(string token, GripSigningKey key, DateTimeOffset now)
    {
        // Upstream proxies renew their token once a second: the same string verifies the same way.
        var last = key.LastValidated;
        if (last is not null && string.Equals(last.Token, token, StringComparison.Ordinal))
        {
            return now.ToUnixTimeSeconds() < last.Exp;
        }
        // No key lookups or metadata with a fixed key: the task is complete on return.
        var result = Handler.ValidateTokenAsync(token, key.Validation).GetAwaiter().GetResult();
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return false;
        }
        if (!jwt.TryGetPayloadValue<long>("exp", out var exp) || exp <= 0)
        {
            return false;
        }
        key.LastValidated = new GripSigningKey.CachedToken(string.Empty, exp, token);
        return now.ToUnixTimeSeconds() < exp;
    }
}
