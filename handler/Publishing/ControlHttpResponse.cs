using Pushpin.Handler.Http;

namespace Pushpin.Handler.Publishing;

/// <summary>A response for the control API (Connection and Content-Length are added by the server).</summary>
internal sealed class ControlHttpResponse
{
    public ControlHttpResponse(int code, string reason, string body, string contentType = "text/plain", HeaderList? headers = null)
    {
        Code = code;
        Reason = reason;
        Body = System.Text.Encoding.UTF8.GetBytes(body);
        Headers = headers ?? [];
        Headers.Add("Content-Type", contentType);
    }

    public int Code { get; }

    public string Reason { get; }

    public HeaderList Headers { get; }

    public byte[] Body { get; }

    /// <summary>
    /// Work the request asks for (publish, recover), handed to the engine before the reply is
    /// written; the reply waits for the task (a publish completes once the engine delivered it).
    /// </summary>
    public Func<Task>? After { get; init; }
}
