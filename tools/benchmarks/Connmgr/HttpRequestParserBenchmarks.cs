using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Pushpin.Connmgr.Http;

namespace Pushpin.Benchmarks.Connmgr;

/// <summary>
/// connmgr's HTTP/1.1 request head parser on realistic heads: a browser-like GET (the
/// request the proxy scenario sends, plus typical browser headers) and the same head split
/// across two segments, as it arrives from a pipe after two reads.
/// </summary>
[MemoryDiagnoser]
public class HttpRequestParserBenchmarks
{
    private static readonly byte[] BrowserGet = Encoding.ASCII.GetBytes(
        "GET /stream/news?since=12 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n" +
        "Accept: text/event-stream\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nCache-Control: no-cache\r\n" +
        "Connection: keep-alive\r\nCookie: session=0123456789abcdef; theme=dark\r\n\r\n");

    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _split;

    [GlobalSetup]
    public void Setup()
    {
        _single = new ReadOnlySequence<byte>(BrowserGet);
        var half = BrowserGet.Length / 2;
        var first = new Segment(BrowserGet.AsMemory(0, half));
        var last = first.Append(BrowserGet.AsMemory(half));
        _split = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    [Benchmark(Baseline = true)]
    public int ParseContiguous() => (int)HttpRequestParser.TryParse(_single, 8192, out _, out _, out _, out _);

    [Benchmark]
    public int ParseTwoSegments() => (int)HttpRequestParser.TryParse(_split, 8192, out _, out _, out _, out _);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
