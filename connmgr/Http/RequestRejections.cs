namespace Pushpin.Connmgr.Http;

/// <summary>Maps a <see cref="RequestRejection"/> to the HTTP status the client gets.</summary>
internal static class RequestRejections
{
    public static int StatusCode(RequestRejection rejection) => rejection switch
    {
        RequestRejection.None => 200,
        RequestRejection.HeadersTooLarge or RequestRejection.TooManyHeaders => 431,
        RequestRejection.UnsupportedTransferEncoding => 501,
        RequestRejection.UnsupportedVersion => 505,
        RequestRejection.HeaderTimeout => 408,
        _ => 400,
    };

    public static string ReasonPhrase(int status) => status switch
    {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    };

    /// <summary>A short human-readable explanation, used as the response body and in the log line.</summary>
    public static string Describe(RequestRejection rejection) => rejection switch
    {
        RequestRejection.MalformedRequestLine => "malformed request line",
        RequestRejection.InvalidMethod => "invalid method",
        RequestRejection.InvalidTarget => "invalid request target",
        RequestRejection.MalformedVersion => "malformed HTTP version",
        RequestRejection.UnsupportedVersion => "HTTP version not supported",
        RequestRejection.MalformedHeader => "malformed header line",
        RequestRejection.BareLineFeed => "bare LF in request head",
        RequestRejection.ControlCharacter => "control character in request head",
        RequestRejection.ObsoleteLineFolding => "obsolete header line folding",
        RequestRejection.HeadersTooLarge => "request head too large",
        RequestRejection.TooManyHeaders => "too many headers",
        RequestRejection.InvalidContentLength => "invalid Content-Length",
        RequestRejection.ConflictingContentLength => "conflicting Content-Length headers",
        RequestRejection.ContentLengthAndTransferEncoding => "both Content-Length and Transfer-Encoding",
        RequestRejection.UnsupportedTransferEncoding => "unsupported Transfer-Encoding",
        RequestRejection.InvalidTransferEncoding => "invalid Transfer-Encoding",
        RequestRejection.MissingHost => "missing Host header",
        RequestRejection.InvalidHost => "invalid Host header",
        RequestRejection.BadChunkSize => "bad chunk size",
        RequestRejection.BadChunkTerminator => "bad chunk terminator",
        RequestRejection.TrailersTooLarge => "chunked trailers too large",
        RequestRejection.HeaderTimeout => "request head not received in time",
        _ => "bad request",
    };
}
