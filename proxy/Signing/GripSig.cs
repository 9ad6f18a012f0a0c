using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Pushpin.Proxy.Signing;

/// <summary>Creates and checks Grip-Sig tokens (JWT, claims <c>exp</c> and <c>iss</c>) with Microsoft.IdentityModel.</summary>
/// <remarks>
/// The claims are written as upstream writes them (<c>{"exp":…,"iss":…}</c>, byte for byte); the
/// header is the library's (<c>{"alg":…,"typ":"JWT"}</c>: same members, another order, which no
/// JWT reader minds). A token only changes once a second, so the last one per key and issuer is
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
        var token = Handler.CreateToken(payload, key.Credentials);
        key.LastToken = new GripSigningKey.CachedToken(issuer, exp, token);
        return token;
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
