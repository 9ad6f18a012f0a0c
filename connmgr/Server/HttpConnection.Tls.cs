using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace Pushpin.Connmgr.Server;

internal sealed partial class HttpConnection
{
    /// <summary>
    /// The TLS handshake of a <c>,tls</c> listener: the client's SNI name picks the identity
    /// (<see cref="Transport.TlsIdentityCache"/>), the listener's <c>default-cert</c> covers the rest.
    /// Bounded by the header timeout so a silent client cannot hold a slot. False when it failed
    /// (logged; the connection just closes, there is no HTTP to answer in yet).
    /// </summary>
    private async Task<bool> HandshakeAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_server.Options.HeaderTimeout);
        try
        {
            await _tls!.AuthenticateAsServerAsync(SelectIdentity, this, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogHandshakeFailed(_logger, Id, _peer, "timed out");
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or System.Net.Sockets.SocketException)
        {
            LogHandshakeFailed(_logger, Id, _peer, ex.InnerException?.Message ?? ex.Message);
        }
        return false;
    }

    private static ValueTask<SslServerAuthenticationOptions> SelectIdentity(SslStream stream, SslClientHelloInfo hello, object? state, CancellationToken ct)
    {
        var connection = (HttpConnection)state!;
        var options = connection._server.TlsIdentities?.Select(hello.ServerName, connection._listener.DefaultCert);
        if (options is null)
        {
            // As upstream: no certificate for that name and no default is a fatal handshake alert.
            throw new AuthenticationException($"no certificate for server name '{hello.ServerName}'");
        }
        return ValueTask.FromResult(options);
    }

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "conn {ConnectionId} {Remote}: TLS handshake failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, long connectionId, string remote, string reason);
}
