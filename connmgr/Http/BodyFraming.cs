namespace Pushpin.Connmgr.Http;

/// <summary>How the request body is delimited.</summary>
internal enum BodyFraming
{
    None,
    ContentLength,
    Chunked,
}
