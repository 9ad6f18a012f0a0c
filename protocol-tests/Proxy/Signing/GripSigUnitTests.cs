using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Pushpin.Proxy.Signing;

namespace Pushpin.ProtocolTests.Proxy.Signing;

public sealed class GripSigUnitTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    // Captured from Debian's pushpin 1.36 (sig_key=changeme, sig_iss=pushpin) at a test backend.
    private const string Upstream136Token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3OTU0NzI2MjcsImlzcyI6InB1c2hwaW4ifQ.DHtIw2_P8OjbZ_vuEH6kJLTyBDv5y9qNbvotaNA4XvI";
    private const long Upstream136Exp = 1795472627;

    [Test]
    public void Hs256_token_has_upstream_header_and_claims()
    {
        var key = GripSigningKey.FromConfigString("changeme", "/")!;
        var token = GripSig.Create("pushpin", key, Now);
        var parts = token.Split('.');
        Assert.Multiple(() =>
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            Assert.That(header.RootElement.EnumerateObject().Select(p => p.Name + "=" + p.Value.GetString()).Order(), Is.EqualTo(new[] { "alg=HS256", "typ=JWT" }));
            Assert.That(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])), Is.EqualTo("{\"exp\":1700003600,\"iss\":\"pushpin\"}"));
            var expected = HMACSHA256.HashData("changeme"u8, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            Assert.That(Base64Url.DecodeFromChars(parts[2]), Is.EqualTo(expected));
        });
    }

    [Test]
    public void Hs256_token_equals_the_one_upstream_1_36_made_in_the_same_second()
    {
        var key = GripSigningKey.FromConfigString("changeme", "/")!;
        var ours = GripSig.Create("pushpin", key, DateTimeOffset.FromUnixTimeSeconds(Upstream136Exp - 3600));
        Assert.That(ours, Is.EqualTo(Upstream136Token));
    }

    [Test]
    public void Claims_are_byte_for_byte_upstreams_and_its_token_validates()
    {
        var key = GripSigningKey.FromConfigString("changeme", "/")!;
        var now = DateTimeOffset.FromUnixTimeSeconds(Upstream136Exp - 3600);
        var ours = GripSig.Create("pushpin", key, now);
        Assert.Multiple(() =>
        {
            Assert.That(ours.Split('.')[1], Is.EqualTo(Upstream136Token.Split('.')[1]), "payload segment");
            Assert.That(GripSig.Validate(Upstream136Token, key, now), Is.True);
            Assert.That(GripSig.Validate(Upstream136Token, key, DateTimeOffset.FromUnixTimeSeconds(Upstream136Exp)), Is.False, "expired");
            Assert.That(GripSig.Validate(Upstream136Token, GripSigningKey.FromConfigString("changeme", "/")!, DateTimeOffset.FromUnixTimeSeconds(Upstream136Exp)), Is.False, "expired, not cached");
            Assert.That(GripSig.Validate(Upstream136Token[..^2] + "AA", key, now), Is.False, "a changed signature is not the cached token");
            Assert.That(GripSig.Validate(Upstream136Token, GripSigningKey.FromSecret("changeme2"u8.ToArray()), now), Is.False);
        });
    }

    [Test]
    public void Tokens_are_reused_within_a_second_and_renewed_after()
    {
        var key = GripSigningKey.FromSecret("k"u8.ToArray());
        var a = GripSig.Create("x", key, Now);
        Assert.Multiple(() =>
        {
            Assert.That(GripSig.Create("x", key, Now.AddMilliseconds(900)), Is.SameAs(a));
            Assert.That(GripSig.Create("y", key, Now), Is.Not.EqualTo(a), "another issuer");
            Assert.That(GripSig.Create("x", key, Now.AddSeconds(1)), Is.Not.EqualTo(a));
        });
    }

    [Test]
    public void Long_hmac_keys_use_the_librarys_own_provider_and_short_ones_ours()
    {
        var longKey = GripSigningKey.FromSecret(new byte[32]);
        var shortKey = GripSigningKey.FromSecret(new byte[31]);
        Assert.Multiple(() =>
        {
            Assert.That(longKey.Credentials.Key.CryptoProviderFactory.CustomCryptoProvider, Is.Null);
            Assert.That(shortKey.Credentials.Key.CryptoProviderFactory.CustomCryptoProvider, Is.Not.Null);
            Assert.That(GripSig.Validate(GripSig.Create("x", longKey, Now), longKey, Now), Is.True);
            Assert.That(GripSig.Validate(GripSig.Create("x", shortKey, Now), shortKey, Now), Is.True);
            Assert.That(() => GripSigningKey.FromConfigString("base64:", "/"), Throws.TypeOf<FormatException>());
        });
    }

    [Test]
    public void Tokens_of_another_algorithm_or_unsigned_are_refused()
    {
        var key = GripSigningKey.FromSecret("k"u8.ToArray());
        var claims = Base64Url.EncodeToString("{\"exp\":1700003600,\"iss\":\"x\"}"u8);
        var none = Base64Url.EncodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8) + "." + claims + ".";
        var hs512Header = Base64Url.EncodeToString("{\"alg\":\"HS512\",\"typ\":\"JWT\"}"u8) + "." + claims;
        var hs512 = hs512Header + "." + Base64Url.EncodeToString(HMACSHA512.HashData("k"u8, Encoding.ASCII.GetBytes(hs512Header)));
        Assert.Multiple(() =>
        {
            Assert.That(GripSig.Validate(none, key, Now), Is.False);
            Assert.That(GripSig.Validate(hs512, key, Now), Is.False);
        });
    }

    [Test]
    public void Base64_key_is_a_binary_secret()
    {
        var a = GripSigningKey.FromConfigString("base64:" + Convert.ToBase64String("s3cr3t"u8.ToArray()), "/")!;
        var b = GripSigningKey.FromSecret("s3cr3t"u8.ToArray());
        Assert.That(GripSig.Validate(GripSig.Create("x", a, Now), b, Now), Is.True);
    }

    [Test]
    public void Expired_or_wrongly_signed_tokens_are_refused()
    {
        var key = GripSigningKey.FromSecret("k"u8.ToArray());
        var token = GripSig.Create("x", key, Now);
        Assert.Multiple(() =>
        {
            Assert.That(GripSig.Validate(token, key, Now.AddMinutes(59)), Is.True);
            Assert.That(GripSig.Validate(token, key, Now.AddHours(1)), Is.False);
            Assert.That(GripSig.Validate(token, GripSigningKey.FromSecret("other"u8.ToArray()), Now), Is.False);
            Assert.That(GripSig.Validate("garbage", key, Now), Is.False);
            Assert.That(GripSig.Validate("a.b.c", key, Now), Is.False);
        });
    }

    [Test]
    public void Pem_files_give_es256_and_rs256_keys()
    {
        var dir = Directory.CreateTempSubdirectory("pushpin-keys-").FullName;
        try
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(Path.Combine(dir, "ec.pem"), ec.ExportPkcs8PrivateKeyPem());
            using var rsa = RSA.Create(2048);
            File.WriteAllText(Path.Combine(dir, "rsa.pem"), rsa.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(Path.Combine(dir, "secret.txt"), "plain");

            var ecKey = GripSigningKey.FromConfigString("file:ec.pem", dir)!;
            var rsaKey = GripSigningKey.FromConfigString("file:rsa.pem", dir)!;
            var secretKey = GripSigningKey.FromConfigString("file:secret.txt", dir)!;
            Assert.Multiple(() =>
            {
                Assert.That(ecKey.Algorithm, Is.EqualTo("ES256"));
                Assert.That(rsaKey.Algorithm, Is.EqualTo("RS256"));
                Assert.That(secretKey.Algorithm, Is.EqualTo("HS256"));
                Assert.That(GripSig.Validate(GripSig.Create("i", ecKey, Now), ecKey, Now), Is.True);
                Assert.That(GripSig.Validate(GripSig.Create("i", rsaKey, Now), rsaKey, Now), Is.True);
                // The JWS formats upstream reads: ES256 as r||s (P1363), RS256 as PKCS#1 v1.5.
                var (ecInput, ecSig) = Split(GripSig.Create("i", ecKey, Now));
                Assert.That(ec.VerifyData(ecInput, ecSig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation), Is.True);
                var (rsaInput, rsaSig) = Split(GripSig.Create("i", rsaKey, Now));
                Assert.That(rsa.VerifyData(rsaInput, rsaSig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), Is.True);
                Assert.That(GripSig.Validate(GripSig.Create("i", secretKey, Now), GripSigningKey.FromSecret("plain"u8.ToArray()), Now), Is.True);
                Assert.That(() => GripSigningKey.FromConfigString("file:missing.pem", dir), Throws.TypeOf<FormatException>());
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (byte[] Input, byte[] Signature) Split(string token)
    {
        var dot = token.LastIndexOf('.');
        return (Encoding.ASCII.GetBytes(token[..dot]), Base64Url.DecodeFromChars(token.AsSpan(dot + 1)));
    }
}
