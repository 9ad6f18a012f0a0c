namespace Pushpin.Connmgr.WebSockets;

/// <summary>Close status codes (RFC 6455 §7.4) and the rule for which may appear in a close frame.</summary>
internal static class WebSocketCloseCodes
{
    public const ushort Normal = 1000;
    public const ushort GoingAway = 1001;
    public const ushort ProtocolError = 1002;
    public const ushort UnsupportedData = 1003;

    /// <remarks>Reserved: means "the close frame had no code"; never written on the wire.</remarks>
    public const ushort NoStatus = 1005;

    /// <remarks>Reserved: means "the connection dropped without a close frame"; never on the wire.</remarks>
    public const ushort Abnormal = 1006;

    public const ushort InvalidPayload = 1007;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort MandatoryExtension = 1010;
    public const ushort InternalError = 1011;

    /// <remarks>Reserved: TLS handshake failure; never on the wire.</remarks>
    public const ushort TlsHandshake = 1015;

    /// <summary>True when <paramref name="code"/> may be sent in (or accepted from) a close frame.</summary>
    /// <remarks>
    /// 1012-1014 are IANA-registered after the RFC (restart, try again later, bad gateway) and are
    /// accepted by browsers, so they are allowed too; 3000-4999 belong to libraries and applications.
    /// </remarks>
    public static bool IsValidOnWire(int code) => code switch
    {
        >= 1000 and <= 1003 => true,
        >= 1007 and <= 1014 => true,
        >= 3000 and <= 4999 => true,
        _ => false,
    };
}
