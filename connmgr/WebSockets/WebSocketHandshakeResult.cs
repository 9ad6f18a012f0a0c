using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Outcome of checking a client's opening handshake.</summary>
/// <remarks>
/// When invalid, <see cref="Status"/>, <see cref="Reason"/>, <see cref="Headers"/> and
/// <see cref="Message"/> (a plain-text body) describe the HTTP response to send instead of a 101.
/// </remarks>
internal sealed class WebSocketHandshakeResult
{
    private WebSocketHandshakeResult(bool isValid, string key, int status, string reason, IReadOnlyList<HttpHeader> headers, string message)
    {
        IsValid = isValid;
        Key = key;
        Status = status;
        Reason = reason;
        Headers = headers;
        Message = message;
    }

    public bool IsValid { get; }

    /// <summary>The client's Sec-WebSocket-Key (valid results only).</summary>
    public string Key { get; }

    /// <summary>Sec-WebSocket-Accept for <see cref="Key"/> (valid results only).</summary>
    public string Accept => IsValid ? WebSocketHandshake.ComputeAccept(Key) : string.Empty;

    public int Status { get; }

    public string Reason { get; }

    public IReadOnlyList<HttpHeader> Headers { get; }

    public string Message { get; }

    public static WebSocketHandshakeResult Valid(string key) => new(true, key, 101, "Switching Protocols", [], string.Empty);

    public static WebSocketHandshakeResult BadRequest(string message) => new(false, string.Empty, 400, "Bad Request", [], message);

    public static WebSocketHandshakeResult MethodNotAllowed(string message) =>
        new(false, string.Empty, 405, "Method Not Allowed", [new HttpHeader("Allow", "GET")], message);

    /// <remarks>RFC 6455 §4.4: tell the client which version we speak.</remarks>
    public static WebSocketHandshakeResult UpgradeRequired(string message) =>
        new(false, string.Empty, 426, "Upgrade Required", [new HttpHeader("Sec-WebSocket-Version", "13")], message);
}
