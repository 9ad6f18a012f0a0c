using Microsoft.Extensions.Logging;

namespace Pushpin.Connmgr.Client;

/// <summary>Client mode: zhttp requests from the proxy become outbound HTTP requests.</summary>
internal sealed partial class HttpClientMode : IAsyncDisposable
{
    private readonly ClientOptions _options;
    private readonly ILogger _logger;

    public HttpClientMode(ClientOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    public void Start()
    {
        _ = _options;
        _ = _logger;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
