using System.Buffers;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

/// <summary>Builds multi-segment sequences, as a pipe hands over data that arrived in pieces.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        Segment? first = null;
        Segment? last = null;
        foreach (var part in parts)
        {
            var segment = new Segment(part);
            if (first is null)
            {
                first = segment;
            }
            else
            {
                last!.Append(segment);
            }

            last = segment;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data) => Memory = data;

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}
