using Pushpin.Handler.Http;

namespace Pushpin.Handler.Publishing;

/// <summary>A complete request read by <see cref="ControlHttpServer"/>.</summary>
internal sealed class ControlHttpRequest
{
    public required string Method { get; init; }

    /// <summary>The request target exactly as sent (path and query).</summary>
    public required string Uri { get; init; }

    public required HeaderList Headers { get; init; }

    public required byte[] Body { get; init; }
}
