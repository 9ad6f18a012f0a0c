using System.Security.Cryptography;
using System.Text;
using NUnit.Framework;
using Pushpin.Proxy.Signing;

namespace Pushpin.ProtocolTests.Proxy.Signing;

public sealed class GripSigUnitTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Test]
    public void Hs256_token_has_upstream_header_and_claims()
    {
        var key = GripSigningKey.FromConfigString("changeme", "/")!;
        var token = GripSig.Create("pushpin", key, Now);
        var parts = token.Split('.');
        Assert.Multiple(() =>
        {
            Assert.That(Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[0])), Is.EqualTo("{\"typ\":\"JWT\",\"alg\":\"HS256\"}"));
            Assert.That(Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1])), Is.EqualTo("{\"iss\":\"pushpin\",\"exp\":1700003600}"));
            var expected = HMACSHA256.HashData("changeme"u8, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            Assert.That(System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]), Is.EqualTo(expected));
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
                Assert.That(GripSig.Validate(GripSig.Create("i", secretKey, Now), GripSigningKey.FromSecret("plain"u8.ToArray()), Now), Is.True);
                Assert.That(() => GripSigningKey.FromConfigString("file:missing.pem", dir), Throws.TypeOf<FormatException>());
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
