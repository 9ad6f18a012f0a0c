using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Outcome of checking a client's opening handshake.</summary>
/// <remarks>
/// When invalid, <see cref="Status"/>, <see cref="Reason"/>, <see cref="Headers"/> and
/// <see cref="Message"/> (a plain-text body) describe the HTTP response to send instead of a 101;
/// <see cref="Detail"/> says which rule failed, for the log line. The body is upstream connmgr's
/// sentence, so clients see the same text as from Pushpin.
/// </remarks>
internal sealed class WebSocketHandshakeResult
{
    /// <summary>Upstream connmgr's body for a request that asked for an upgrade but broke the rules.</summary>
    public const string InvalidRequestBody =
        "Request contained an Upgrade header with value \"websocket\" but the request was not a valid WebSocket request.\n";

    private WebSocketHandshakeResult(bool isValid, string key, int status, string reason, IReadOnlyList<HttpHeader> headers, string detail)
    {
        IsValid = isValid;
        Key = key;
        Status = status;
        Reason = reason;
        Headers = headers;
        Detail = detail;
        Message = isValid ? string.Empty : InvalidRequestBody;
    }

    public bool IsValid { get; }

    /// <summary>The client's Sec-WebSocket-Key (valid results only).</summary>
    public string Key { get; }

    /// <summary>Sec-WebSocket-Accept for <see cref="Key"/> (valid results only).</summary>
    public string Accept => IsValid ? WebSocketHandshake.ComputeAccept(Key) : string.Empty;

    public int Status { get; }

    public string Reason { get; }

    public IReadOnlyList<HttpHeader> Headers { get; }

    /// <summary>The response body (text/plain).</summary>
    public string Message { get; }

    /// <summary>Which rule failed (for logs; empty when valid).</summary>
    public string Detail { get; }

    public static WebSocketHandshakeResult Valid(string key) => new(true, key, 101, "Switching Protocols", [], string.Empty);

    public static WebSocketHandshakeResult BadRequest(string detail) => new(false, string.Empty, 400, "Bad Request", [], detail);

    public static WebSocketHandshakeResult MethodNotAllowed(string detail) =>
        new(false, string.Empty, 405, "Method Not Allowed", [new HttpHeader("Allow", "GET")], detail);

    /// <remarks>RFC 6455 §4.4: tell the client which version we speak.</remarks>
    public static WebSocketHandshakeResult UpgradeRequired(string detail) =>
        new(false, string.Empty, 426, "Upgrade Required", [new HttpHeader("Sec-WebSocket-Version", "13")], detail);
}
