using System.Buffers;
using BenchmarkDotNet.Attributes;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.Benchmarks.Connmgr;

/// <summary>
/// WebSocket frame codec: parsing a masked 125-byte client text frame (a chat-sized message)
/// and writing an unmasked server frame of the same size into a reused buffer.
/// </summary>
[MemoryDiagnoser]
public class WebSocketFrameBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(512);
    private readonly byte[] _payload = new byte[125];
    private ReadOnlySequence<byte> _maskedFrame;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_payload);
        var writer = new ArrayBufferWriter<byte>();
        WebSocketFrameWriter.WriteFrame(writer, WebSocketOpcode.Binary, fin: true, rsv1: false, _payload, maskKey: 0x37fa213d);
        _maskedFrame = new ReadOnlySequence<byte>(writer.WrittenMemory.ToArray());
    }

    [Benchmark(Baseline = true)]
    public int ParseMaskedClientFrame() =>
        (int)WebSocketFrameParser.TryParse(_maskedFrame, WebSocketRole.Server, 0, 1 << 20, out _, out _, out _);

    [Benchmark]
    public int WriteServerFrame()
    {
        _output.ResetWrittenCount();
        WebSocketFrameWriter.WriteFrame(_output, WebSocketOpcode.Binary, fin: true, rsv1: false, _payload, maskKey: null);
        return _output.WrittenCount;
    }
}
