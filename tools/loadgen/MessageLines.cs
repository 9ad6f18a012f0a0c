using System.Buffers.Text;
using System.Diagnostics;

namespace Pushpin.LoadGen;

/// <summary>
/// Splits a subscriber's body bytes into lines and records each <c>m SEQ TIMESTAMP</c>
/// message's latency, without allocating per message.
/// </summary>
public sealed class MessageLines(LatencyRecorder latency)
{
    private readonly List<long> _latencies = latency.NewShard();
    private readonly byte[] _line = new byte[256];
    private int _length;

    public long Messages { get; private set; }

    public long LastSeq { get; private set; } = -1;

    public void Feed(ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            if (b == (byte)'\n')
            {
                Complete(_line.AsSpan(0, _length));
                _length = 0;
            }
            else if (_length < _line.Length)
            {
                _line[_length++] = b;
            }
        }
    }

    private void Complete(ReadOnlySpan<byte> line)
    {
        if (line.Length < 2 || line[0] != (byte)'m' || line[1] != (byte)' ')
        {
            return;
        }
        var rest = line[2..];
        if (!Utf8Parser.TryParse(rest, out long seq, out var used) || used >= rest.Length)
        {
            return;
        }
        if (!Utf8Parser.TryParse(rest[(used + 1)..], out long stamp, out _))
        {
            return;
        }
        _latencies.Add(Stopwatch.GetTimestamp() - stamp);
        Messages++;
        LastSeq = seq;
    }
}
