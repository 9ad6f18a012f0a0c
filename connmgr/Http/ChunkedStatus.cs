namespace Pushpin.Connmgr.Http;

/// <summary>Outcome of one <see cref="ChunkedDecoder"/> call.</summary>
internal enum ChunkedStatus
{
    /// <summary>Some body bytes are available.</summary>
    Data,
    NeedMoreData,
    /// <summary>The last chunk and the trailers were read; the body is complete.</summary>
    Done,
    Rejected,
}
