namespace Pushpin.Connmgr.Http;

/// <summary>Why a request was refused before it reached a responder.</summary>
internal enum RequestRejection
{
    None,
    MalformedRequestLine,
    InvalidMethod,
    InvalidTarget,
    MalformedVersion,
    UnsupportedVersion,
    MalformedHeader,
    BareLineFeed,
    ControlCharacter,
    ObsoleteLineFolding,
    HeadersTooLarge,
    TooManyHeaders,
    InvalidContentLength,
    ConflictingContentLength,
    ContentLengthAndTransferEncoding,
    UnsupportedTransferEncoding,
    InvalidTransferEncoding,
    MissingHost,
    InvalidHost,
    BadChunkSize,
    BadChunkTerminator,
    TrailersTooLarge,
    HeaderTimeout,
}
