using System.Net;

namespace Pushpin.LoadGen;

/// <summary>
/// The server under test, by ports: client HTTP endpoint, publish API, and the process name
/// patterns whose RSS is summed (ours: <c>pushpin-</c>; Pushpin 1.36: <c>pushpin-proxy</c>,
/// <c>pushpin-handler</c>, <c>condure</c>, <c>zurl</c>).
/// </summary>
public sealed record Target(string Name, IPEndPoint Client, Uri PublishApi, IReadOnlyList<string> ProcessPatterns, int Sources)
{
    /// <summary>Local address for connection number <paramref name="index"/>: 127.0.0.1, .2, ... to get past the ephemeral port limit.</summary>
    public IPAddress? SourceFor(int index) =>
        Sources <= 1 ? null : new IPAddress([127, 0, 0, (byte)(1 + (index % Sources))]);
}
