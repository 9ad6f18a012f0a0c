using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.WebSockets;

/// <summary>Server side of the opening handshake (RFC 6455 §4.2).</summary>
internal static class WebSocketHandshake
{
    private static readonly byte[] AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8.ToArray();

    /// <summary>True when the request asks for a WebSocket upgrade at all (Upgrade lists "websocket").</summary>
    /// <remarks>Only such requests go through <see cref="Validate"/>; others stay plain HTTP.</remarks>
    public static bool IsUpgradeRequest(IEnumerable<HttpHeader> headers)
    {
        foreach (var header in headers)
        {
            if (header.Is("Upgrade") && HasToken(header.Value, "websocket"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Checks a request that asked for an upgrade.</summary>
    /// <remarks>
    /// RFC 6455 §4.2.1 in full. Upstream connmgr checks less (GET, no body, version exactly 13,
    /// some key) and answers 400 for all of it; here a wrong version gets 426 with
    /// <c>Sec-WebSocket-Version: 13</c> as §4.4 asks, and a key that is not 16 bytes of base64, a
    /// missing <c>Connection: Upgrade</c> or HTTP/1.0 are refused (Debian's 1.36 accepted them).
    /// Every browser and WebSocket library sends what is checked here.
    /// </remarks>
    /// <param name="method">Request method, case-sensitive as HTTP says.</param>
    /// <param name="httpVersion">"1.1", "HTTP/1.1", "1.0", ...</param>
    public static WebSocketHandshakeResult Validate(string method, string httpVersion, IEnumerable<HttpHeader> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var version = httpVersion.StartsWith("HTTP/", StringComparison.Ordinal) ? httpVersion[5..] : httpVersion;
        if (!IsAtLeastHttp11(version))
        {
            return WebSocketHandshakeResult.BadRequest("WebSocket upgrade requires HTTP/1.1");
        }

        if (method != "GET")
        {
            return WebSocketHandshakeResult.MethodNotAllowed("WebSocket upgrade requires GET");
        }

        var host = false;
        var upgrade = false;
        var connection = false;
        string? key = null;
        var keyCount = 0;
        string? wsVersion = null;
        var body = false;
        foreach (var header in headers)
        {
            if (header.Is("Host"))
            {
                host = true;
            }
            else if (header.Is("Upgrade"))
            {
                upgrade |= HasToken(header.Value, "websocket");
            }
            else if (header.Is("Connection"))
            {
                connection |= HasToken(header.Value, "upgrade");
            }
            else if (header.Is("Sec-WebSocket-Key"))
            {
                key = header.Value.Trim();
                keyCount++;
            }
            else if (header.Is("Content-Length"))
            {
                // Some clients send "Content-Length: 0"; any body at all is not a handshake.
                body |= header.Value.Trim() != "0";
            }
            else if (header.Is("Transfer-Encoding"))
            {
                body = true;
            }
            else if (header.Is("Sec-WebSocket-Version"))
            {
                // Several values (or a list) mean the client is unsure; only exactly 13 is accepted.
                wsVersion = wsVersion is null ? header.Value.Trim() : wsVersion + "," + header.Value.Trim();
            }
        }

        if (!host)
        {
            return WebSocketHandshakeResult.BadRequest("missing Host header");
        }

        if (!upgrade)
        {
            return WebSocketHandshakeResult.BadRequest("Upgrade header must contain websocket");
        }

        if (!connection)
        {
            return WebSocketHandshakeResult.BadRequest("Connection header must contain Upgrade");
        }

        if (body)
        {
            return WebSocketHandshakeResult.BadRequest("WebSocket handshake must not have a body");
        }

        if (wsVersion is null)
        {
            return WebSocketHandshakeResult.UpgradeRequired("missing Sec-WebSocket-Version");
        }

        if (wsVersion != "13")
        {
            return WebSocketHandshakeResult.UpgradeRequired("unsupported Sec-WebSocket-Version");
        }

        if (keyCount != 1 || !IsValidKey(key!))
        {
            return WebSocketHandshakeResult.BadRequest("Sec-WebSocket-Key must be 16 bytes in base64");
        }

        return WebSocketHandshakeResult.Valid(key!);
    }

    /// <summary>base64(SHA-1(key + GUID)), the Sec-WebSocket-Accept value.</summary>
    public static string ComputeAccept(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> input = stackalloc byte[128];
        var keyLength = Encoding.ASCII.GetByteCount(key);
        if (keyLength + AcceptGuid.Length > input.Length)
        {
            input = new byte[keyLength + AcceptGuid.Length];
        }

        var written = Encoding.ASCII.GetBytes(key, input);
        AcceptGuid.CopyTo(input[written..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..(written + AcceptGuid.Length)], hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>A fresh Sec-WebSocket-Key for an outgoing handshake (connmgr client mode).</summary>
    public static string NewClientKey()
    {
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        return Convert.ToBase64String(nonce);
    }

    /// <summary>Client mode: whether the server's Sec-WebSocket-Accept answers our key.</summary>
    public static bool IsValidAccept(string key, string? accept) =>
        accept is not null && string.Equals(accept.Trim(), ComputeAccept(key), StringComparison.Ordinal);

    private static bool IsValidKey(string key)
    {
        // 16 bytes encode to exactly 24 base64 characters ending in "==".
        if (key.Length != 24)
        {
            return false;
        }

        Span<byte> ascii = stackalloc byte[24];
        for (var i = 0; i < 24; i++)
        {
            if (key[i] > 0x7F)
            {
                return false;
            }

            ascii[i] = (byte)key[i];
        }

        Span<byte> decoded = stackalloc byte[18];
        return Base64.DecodeFromUtf8(ascii, decoded, out _, out var length) == System.Buffers.OperationStatus.Done && length == 16;
    }

    private static bool IsAtLeastHttp11(string version) => version switch
    {
        "1.1" or "2" or "2.0" or "3" or "3.0" => true,
        _ => false,
    };

    /// <summary>Whether a comma-separated header value lists <paramref name="token"/> (case-insensitive).</summary>
    internal static bool HasToken(string value, string token)
    {
        foreach (var range in value.AsSpan().Split(','))
        {
            if (value.AsSpan()[range].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
