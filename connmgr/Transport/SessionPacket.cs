using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Transport;

/// <summary>
/// A packet as one session receives it: the packet and that session's seq. A multi-id packet
/// (a fan-out delivery, batched keep-alives) reaches each of its sessions as the same packet
/// object with the seq of that session's entry, so routing it copies nothing.
/// </summary>
internal readonly record struct SessionPacket(ZhttpPacket Packet, int Seq);
