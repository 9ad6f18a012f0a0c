using Pushpin.Handler.Http;

namespace Pushpin.Handler.Instruct;

/// <summary>The parsed GRIP instructions of a backend response (upstream's Instruct).</summary>
internal sealed class GripInstruct
{
    public const int DefaultResponseTimeout = 55;
    public const int MinimumResponseTimeout = 5;
    public const int DefaultNextLinkTimeout = 120;

    public HoldMode HoldMode { get; init; }

    public List<InstructChannel> Channels { get; init; } = [];

    /// <summary>Response-hold timeout in seconds (default 55, at least 5).</summary>
    public int Timeout { get; init; } = DefaultResponseTimeout;

    public List<string> ExposeHeaders { get; init; } = [];

    public KeepAliveMode KeepAliveMode { get; init; }

    public byte[] KeepAliveData { get; init; } = [];

    /// <summary>Seconds; -1 = no keep-alive.</summary>
    public int KeepAliveTimeout { get; init; } = -1;

    public Dictionary<string, string> Meta { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The response to send (Grip-* removed, status overridden, JSON form applied).</summary>
    public HttpResponseData Response { get; init; } = new();

    public string? NextLink { get; init; }

    public int NextLinkTimeout { get; init; } = -1;

    public string? GoneLink { get; init; }

    /// <summary>
    /// The same instructions without the response, for a stream whose head went out: a held
    /// stream never needs it again, and keeping its headers cost each stream half a kilobyte.
    /// </summary>
    public GripInstruct WithoutResponse() => new()
    {
        HoldMode = HoldMode,
        Channels = Channels,
        Timeout = Timeout,
        ExposeHeaders = ExposeHeaders,
        KeepAliveMode = KeepAliveMode,
        KeepAliveData = KeepAliveData,
        KeepAliveTimeout = KeepAliveTimeout,
        Meta = Meta,
        Response = EmptyResponse,
        NextLink = NextLink,
        NextLinkTimeout = NextLinkTimeout,
        GoneLink = GoneLink,
    };

    private static readonly HttpResponseData EmptyResponse = new();
}
