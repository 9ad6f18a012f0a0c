namespace Pushpin.Handler.Sessions;

/// <summary>
/// The zhttp state of one client session handed over by the proxy (accept <c>requests</c> entry).
/// Ids are Latin-1 strings so they are echoed byte-exactly.
/// </summary>
internal sealed class RequestState
{
    public required string Sender { get; init; }

    public required string Id { get; init; }

    public int InSeq { get; init; }

    public int OutSeq { get; init; }

    public int OutCredits { get; init; }

    public bool RouterResp { get; init; }

    /// <summary>-1 when the response was not started yet.</summary>
    public int ResponseCode { get; init; } = -1;

    public bool Https { get; init; }

    public bool Debug { get; init; }

    public string? PeerAddress { get; init; }

    public bool AutoCrossOrigin { get; init; }

    /// <summary>JSON-P callback name (Latin-1), or null.</summary>
    public string? JsonpCallback { get; init; }

    public bool JsonpExtendedResponse { get; init; }

    public object? UserData { get; init; }
}
