namespace Pushpin.Connmgr.Http;

/// <summary>A parsed response status line and header block (client mode).</summary>
internal sealed class HttpResponseHead
{
    public required int MinorVersion { get; init; }

    public required int Code { get; init; }

    public required string Reason { get; init; }

    public required List<HeaderField> Headers { get; init; }

    /// <summary>-1 when absent.</summary>
    public long ContentLength { get; init; } = -1;

    public bool Chunked { get; init; }
}
