namespace Pushpin.Connmgr.WebSockets;

/// <summary>The agreed permessage-deflate settings (RFC 7692) and the response header that states them.</summary>
/// <param name="ServerNoContextTakeover">We reset our compressor after every message.</param>
/// <param name="ClientNoContextTakeover">The client resets its compressor, so our decompressor must too.</param>
internal sealed record PerMessageDeflateParameters(bool ServerNoContextTakeover, bool ClientNoContextTakeover)
{
    /// <summary>The Sec-WebSocket-Extensions value to answer with.</summary>
    public string ToResponseHeader() =>
        "permessage-deflate"
        + (ServerNoContextTakeover ? "; server_no_context_takeover" : string.Empty)
        + (ClientNoContextTakeover ? "; client_no_context_takeover" : string.Empty);
}
