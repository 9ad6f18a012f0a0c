using System.Text;
using BenchmarkDotNet.Attributes;
using Pushpin.Common.TNetStrings;
using Pushpin.Common.Zhttp;

namespace Pushpin.Benchmarks.Common;

/// <summary>
/// zhttp encode/decode of the packets that dominate traffic: a request start as connmgr
/// sends it (captured from condure), and a small stream body packet as the handler sends
/// per published message.
/// </summary>
[MemoryDiagnoser]
public class ZhttpCodecBenchmarks
{
    private static readonly byte[] CapturedRequest = Encoding.Latin1.GetBytes(
        "T316:4:from,7:condure,2:id,5:0-0-0,3:seq,1:0#3:ext,15:5:multi,4:true!}6:method,3:GET,3:uri,32:http://127.0.0.1:28999/hello?x=1,7:headers,99:26:4:Host,15:127.0.0.1:28999,]29:10:User-Agent,11:curl/7.88.1,]15:6:Accept,3:*/*,]13:6:X-Test,1:1,]]7:credits,4:8192#6:stream,4:true!12:peer-address,9:127.0.0.1,9:peer-port,5:47298#}");

    private readonly ZhttpPacket _streamChunk = new()
    {
        From = "handler_1234", Id = "0-12-3f", Seq = 42, Body = Encoding.ASCII.GetBytes("data: {\"price\": 101.25}\n\n"), More = true,
    };

    private readonly TnetStringWriter _writer = new();

    [Benchmark(Baseline = true)]
    public ZhttpPacket? DecodeRequestStart()
    {
        ZhttpCodec.TryDecode(CapturedRequest, out var packet, out _);
        return packet;
    }

    [Benchmark]
    public int EncodeStreamChunkReusingWriter()
    {
        _writer.Reset();
        ZhttpCodec.Encode(_streamChunk, _writer);
        return _writer.Length;
    }

    [Benchmark]
    public byte[] EncodeStreamChunkToArray() => ZhttpCodec.Encode(_streamChunk);
}
