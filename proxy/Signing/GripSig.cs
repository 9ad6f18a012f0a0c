using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Pushpin.Proxy.Signing;

/// <summary>Creates and checks Grip-Sig tokens (JWT, claims <c>iss</c> and <c>exp</c>).</summary>
public static class GripSig
{
    /// <summary>Token lifetime, as upstream: one hour.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>A fresh token <c>{"iss": iss, "exp": now + 3600}</c> signed with <paramref name="key"/>.</summary>
    public static string Create(string issuer, GripSigningKey key, DateTimeOffset now)
    {
        var header = "{\"typ\":\"JWT\",\"alg\":\"" + key.Algorithm + "\"}";
        var claims = JsonSerializer.Serialize(new Dictionary<string, object> { ["iss"] = issuer, ["exp"] = (now + Lifetime).ToUnixTimeSeconds() });
        var signingInput = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims));
        var signature = key.Sign(Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>
    /// True when <paramref name="token"/> verifies with <paramref name="key"/> and its <c>exp</c>
    /// is in the future (a missing or non-positive exp is invalid; <c>iss</c> is not checked).
    /// </summary>
    public static bool Validate(string token, GripSigningKey key, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }
        try
        {
            var headerJson = Base64Url.DecodeFromChars(parts[0]);
            using (var header = JsonDocument.Parse(headerJson))
            {
                if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != key.Algorithm)
                {
                    return false;
                }
            }
            var signature = Base64Url.DecodeFromChars(parts[2]);
            if (!key.Verify(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature))
            {
                return false;
            }
            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            if (claims.RootElement.ValueKind != JsonValueKind.Object ||
                !claims.RootElement.TryGetProperty("exp", out var exp) ||
                exp.ValueKind != JsonValueKind.Number ||
                !exp.TryGetInt64(out var expSeconds))
            {
                return false;
            }
            return expSeconds > 0 && now.ToUnixTimeSeconds() < expSeconds;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return false;
        }
    }
}
