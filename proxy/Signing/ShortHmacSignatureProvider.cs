using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Pushpin.Proxy.Signing;

/// <summary>HMAC-SHA256 over a key of any length (see <see cref="ShortHmacCryptoProvider"/>); stateless, so thread-safe.</summary>
internal sealed class ShortHmacSignatureProvider(SymmetricSecurityKey key) : SignatureProvider(key, SecurityAlgorithms.HmacSha256)
{
    private readonly byte[] _secret = key.Key;

    public override byte[] Sign(byte[] input) => HMACSHA256.HashData(_secret, input);

    public override byte[] Sign(byte[] input, int offset, int count) => HMACSHA256.HashData(_secret, input.AsSpan(offset, count));

    public override bool Sign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten) =>
        HMACSHA256.TryHashData(_secret, data, destination, out bytesWritten);

    public override bool Verify(byte[] input, byte[] signature) => Verify(input, 0, input.Length, signature, 0, signature.Length);

    public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, input.AsSpan(inputOffset, inputLength), mac);
        return CryptographicOperations.FixedTimeEquals(mac, signature.AsSpan(signatureOffset, signatureLength));
    }

    protected override void Dispose(bool disposing)
    {
        // Nothing held.
    }
}
