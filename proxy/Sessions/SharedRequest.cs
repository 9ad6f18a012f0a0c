using System.Buffers;
using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>
/// One backend request serving several clients (inspect gave them the same <c>sharing-key</c>).
/// The owner is the session that made the request; followers replay every target packet it gets.
/// The request outlives the owner's client while followers still need it, and the backend is
/// paced by the slowest member: credits go back only for bytes every member has passed on.
/// </summary>
internal sealed class SharedRequest
{
    public SharedRequest(ProxySession owner, string key)
    {
        Owner = owner;
        Key = key;
    }

    /// <summary>The session carrying the backend request.</summary>
    public ProxySession Owner { get; }

    /// <summary>The key new requests join under; null once joining is closed.</summary>
    public string? Key { get; set; }

    public List<ProxySession> Followers { get; } = [];

    /// <summary>The response's status and headers as the backend sent them, once it has started.</summary>
    public ZhttpPacket? ResponseStart { get; set; }

    /// <summary>The response body so far, kept while joining is open so a late joiner can catch up.</summary>
    public ArrayBufferWriter<byte>? InitialBody { get; set; }

    /// <summary>Body bytes received from the current target.</summary>
    public long BodyReceived { get; set; }

    /// <summary>Credits returned to the current target beyond its initial window.</summary>
    public long CreditsGranted { get; set; }

    /// <summary>The owner's client is gone; the backend request lives on for the followers.</summary>
    public bool OwnerGone { get; set; }

    /// <summary>A target packet is being handed to the members: credits wait until all have it.</summary>
    public bool Distributing { get; set; }

    public bool HasActiveFollowers => Followers.Exists(f => f.State != SessionState.Done);
}
