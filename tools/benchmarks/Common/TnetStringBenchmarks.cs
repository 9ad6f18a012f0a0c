using System.Text;
using BenchmarkDotNet.Attributes;
using Pushpin.Common.TNetStrings;

namespace Pushpin.Benchmarks.Common;

/// <summary>
/// TNetString on its own: walking a captured zrpc reply with the allocation-free reader,
/// building the generic value tree (cold paths: zrpc, publish items), and writing a dict.
/// </summary>
[MemoryDiagnoser]
public class TnetStringBenchmarks
{
    private static readonly byte[] CapturedReply = Encoding.ASCII.GetBytes(
        "155:2:id,1:1,5:value,116:12:publish-pull,21:tcp://127.0.0.1:25560,11:publish-sub,21:tcp://127.0.0.1:25562,7:command,21:tcp://127.0.0.1:25563,}7:success,4:true!}");

    private readonly TnetStringWriter _writer = new();

    [Benchmark(Baseline = true)]
    public int WalkWithReader()
    {
        var reader = new TnetStringReader(CapturedReply);
        var root = reader.Read();
        var children = reader.Enter(root);
        var count = 0;
        while (!children.End)
        {
            children.Read();
            count++;
        }
        return count;
    }

    [Benchmark]
    public object? ParseToValues() => TnetString.Parse(CapturedReply);

    [Benchmark]
    public int WriteDictionary()
    {
        _writer.Reset();
        _writer.BeginDictionary();
        _writer.WriteString("channel"u8);
        _writer.WriteString("news"u8);
        _writer.WriteString("id"u8);
        _writer.WriteInteger(123456);
        _writer.WriteString("more"u8);
        _writer.WriteBoolean(true);
        _writer.EndDictionary();
        return _writer.Length;
    }
}
