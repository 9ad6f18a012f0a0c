using Microsoft.IdentityModel.Tokens;

namespace Pushpin.Proxy.Signing;

/// <summary>
/// Lets Microsoft.IdentityModel sign and verify HS256 with keys under 256 bits. The library
/// refuses them, but upstream's shipped default key (<c>changeme</c>) is 64 bits and must keep
/// working; this is the library's own extension point (<see cref="CryptoProviderFactory.CustomCryptoProvider"/>),
/// set only on the factory of such short keys.
/// </summary>
internal sealed class ShortHmacCryptoProvider : ICryptoProvider
{
    public static readonly ShortHmacCryptoProvider Instance = new();

    public bool IsSupportedAlgorithm(string algorithm, params object[] args) =>
        algorithm == SecurityAlgorithms.HmacSha256 && args.Length > 0 && args[0] is SymmetricSecurityKey;

    public object Create(string algorithm, params object[] args) =>
        IsSupportedAlgorithm(algorithm, args)
            ? new ShortHmacSignatureProvider((SymmetricSecurityKey)args[0])
            : throw new NotSupportedException(algorithm);

    public void Release(object cryptoInstance)
    {
        if (cryptoInstance is IDisposable d)
        {
            d.Dispose();
        }
    }
}
