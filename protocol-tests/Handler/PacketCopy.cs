using NUnit.Framework;
using Pushpin.Common.Zhttp;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>
/// Recorders keep what a session sent: the handler reuses its body packet (the real sender
/// encodes before Send returns), so recorders store a decoded copy, as the wire would carry it.
/// </summary>
internal static class PacketCopy
{
    public static ZhttpPacket Of(ZhttpPacket packet)
    {
        Assert.That(ZhttpCodec.TryDecode(ZhttpCodec.Encode(packet), out var copy, out var error), Is.True, error);
        return copy!;
    }
}
