namespace Pushpin.Handler.Http;

/// <summary>An HTTP response as carried in zrpc accept data and instructs.</summary>
internal sealed class HttpResponseData
{
    public int Code { get; set; } = 200;

    /// <summary>Reason phrase (Latin-1 byte string).</summary>
    public string Reason { get; set; } = string.Empty;

    public HeaderList Headers { get; set; } = [];

    public byte[] Body { get; set; } = [];

    public HttpResponseData Clone() => new()
    {
        Code = Code,
        Reason = Reason,
        Headers = new HeaderList(Headers),
        Body = Body,
    };
}
