namespace Pushpin.Connmgr.Client;

/// <summary>
/// What makes two outbound connections interchangeable: where the TCP connection goes, and
/// everything that shaped its TLS session and the policy check it passed.
/// </summary>
/// <param name="Host">The host connected to (<c>connect-host</c> or the uri's), as given.</param>
/// <param name="TlsHost">The name the certificate was checked against; null for plain TCP.</param>
/// <param name="Unrestricted">Connected without the <c>--deny-out-internal</c> check (<c>ignore-policies</c>).</param>
internal readonly record struct PoolKey(string Host, int Port, string? TlsHost, bool IgnoreTlsErrors, string? ClientCert, bool Unrestricted);
