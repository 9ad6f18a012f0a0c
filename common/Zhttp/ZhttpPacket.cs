namespace Pushpin.Common.Zhttp;

/// <summary>
/// A zhttp packet in either direction (internals.md §3.4). Ids, methods, URIs and header
/// fields are Latin-1 strings (byte-exact round trip); integer fields use -1 for "absent";
/// bools are omitted from the wire when false, as upstream encoders do.
/// </summary>
public sealed class ZhttpPacket
{
    public string? From { get; set; }

    /// <summary>The session id of a single-session packet.</summary>
    public string? Id { get; set; }

    /// <summary>
    /// Sessions of a multi-id packet: keep-alive and cancel (internals.md §3.8), and between our
    /// own daemons also body-only data packets of a fan-out (one body for many sessions); null for
    /// single-session packets.
    /// </summary>
    public List<ZhttpSessionRef>? Ids { get; set; }

    public int Seq { get; set; } = -1;

    public ZhttpPacketType Type { get; set; }

    /// <summary><c>ext.multi</c>: the sender understands multi-id packets.</summary>
    public bool Multi { get; set; }

    /// <summary>Opaque; echoed by responders.</summary>
    public object? UserData { get; set; }

    // Request fields.
    public string? Method { get; set; }

    public string? Uri { get; set; }

    public List<HttpHeader>? Headers { get; set; }

    public ReadOnlyMemory<byte> Body { get; set; }

    public bool More { get; set; }

    public bool Stream { get; set; }

    public int Credits { get; set; } = -1;

    public bool RouterResp { get; set; }

    public int MaxSize { get; set; } = -1;

    public int Timeout { get; set; } = -1;

    public string? PeerAddress { get; set; }

    public int PeerPort { get; set; } = -1;

    public string? ConnectHost { get; set; }

    public int ConnectPort { get; set; } = -1;

    public bool IgnorePolicies { get; set; }

    public bool TrustConnectHost { get; set; }

    public bool IgnoreTlsErrors { get; set; }

    public bool FollowRedirects { get; set; }

    public string? ClientCert { get; set; }

    public string? ClientKey { get; set; }

    /// <summary>Pushpin-private data on intreq requests.</summary>
    public object? Passthrough { get; set; }

    /// <summary>WebSocket data: "text" or "binary" (absent = text).</summary>
    public string? ContentType { get; set; }

    // Response fields.
    /// <summary>HTTP status, or the WebSocket close code on close packets.</summary>
    public int Code { get; set; } = -1;

    public string? Reason { get; set; }

    /// <summary>Error condition (type error).</summary>
    public string? Condition { get; set; }

    public bool IsMulti => Ids is not null;

    /// <summary>First header value with this name, or null.</summary>
    public string? GetHeader(string name)
    {
        if (Headers is null)
        {
            return null;
        }
        foreach (var h in Headers)
        {
            if (h.Is(name))
            {
                return h.Value;
            }
        }
        return null;
    }

    public override string ToString() =>
        $"{Type} from={From} id={Id ?? (Ids is null ? "" : $"[{Ids.Count}]")} seq={Seq}" +
        (Code >= 0 ? $" code={Code}" : "") + (Body.Length > 0 ? $" body={Body.Length}B" : "") +
        (More ? " more" : "") + (Credits >= 0 ? $" credits={Credits}" : "") + (Condition is null ? "" : $" condition={Condition}");
}
