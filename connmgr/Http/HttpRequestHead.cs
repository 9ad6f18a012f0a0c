using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Http;

/// <summary>A parsed request line and header block.</summary>
internal sealed class HttpRequestHead
{
    public required string Method { get; init; }

    /// <summary>The request target exactly as sent (origin form, absolute form or <c>*</c>).</summary>
    public required string Target { get; init; }

    /// <summary>0 for HTTP/1.0, 1 for HTTP/1.1.</summary>
    public required int MinorVersion { get; init; }

    /// <summary>As received (case and order); zhttp's own type, so the initial packet takes the list as is.</summary>
    public required List<HttpHeader> Headers { get; set; }

    public BodyFraming Framing { get; init; }

    public long ContentLength { get; init; }

    /// <summary>Whether the connection may carry another request after this one.</summary>
    public bool KeepAlive { get; init; }

    public bool ExpectContinue { get; init; }

    /// <summary>The Host header value, or null when absent (HTTP/1.0).</summary>
    public string? Host { get; init; }

    public bool IsHead => Method == "HEAD";

    public bool HasBody => Framing == BodyFraming.Chunked || (Framing == BodyFraming.ContentLength && ContentLength > 0);
}
