using System.Buffers;
using System.Text;
using Pushpin.Connmgr.Http;

namespace Pushpin.ProtocolTests.Connmgr.Http;

/// <summary>Seeded random mutations of valid requests: the parsers must answer, never throw.</summary>
[TestFixture]
public sealed class HttpParserFuzzUnitTests
{
    private static readonly string[] Seeds =
    [
        "GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: a:80\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ];

    private static readonly byte[] Interesting = [.. "\r\n :;,\t"u8, 0, 0x7f, 0xff, .. "0123456789aAfF-/*?"u8];

    [Test]
    [CancelAfter(60_000)]
    public void Random_mutations_never_throw()
    {
        var random = new Random(20261123);
        var decoder = new ChunkedDecoder();
        var outcomes = new int[3];
        for (var i = 0; i < 5000; i++)
        {
            var bytes = Mutate(Encoding.Latin1.GetBytes(Seeds[random.Next(Seeds.Length)]), random);
            var split = random.Next(1, Math.Max(2, bytes.Length));
            var seq = split < bytes.Length ? HttpRequestParserUnitTests.TwoSegments(bytes, split) : new ReadOnlySequence<byte>(bytes);
            var status = HttpRequestParser.TryParse(seq, 256, out var head, out var consumed, out _, out var rejection);
            outcomes[(int)status]++;
            if (status == ParseStatus.Rejected)
            {
                Assert.That(RequestRejections.StatusCode(rejection), Is.AnyOf(400, 431, 501, 505));
            }
            if (status == ParseStatus.Complete && head!.Framing == BodyFraming.Chunked)
            {
                decoder.Reset();
                var rest = seq.Slice(consumed);
                while (true)
                {
                    var s = decoder.Read(rest, random.Next(1, 10), out _, out var c, out _);
                    rest = rest.Slice(c);
                    if (s != ChunkedStatus.Data)
                    {
                        break;
                    }
                }
            }
        }
        TestContext.Out.WriteLine($"complete {outcomes[0]}, need more {outcomes[1]}, rejected {outcomes[2]}");
        Assert.That(outcomes[0], Is.Positive);
        Assert.That(outcomes[2], Is.Positive);
    }

    private static byte[] Mutate(byte[] input, Random random)
    {
        var list = new List<byte>(input);
        var mutations = random.Next(1, 4);
        for (var m = 0; m < mutations; m++)
        {
            var pos = random.Next(list.Count);
            switch (random.Next(5))
            {
                case 0:
                    list[pos] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 1:
                    list.Insert(pos, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 2:
                    list.RemoveAt(pos);
                    break;
                case 3:
                    list[pos] = (byte)random.Next(256);
                    break;
                default:
                    list.InsertRange(pos, Enumerable.Repeat((byte)'a', random.Next(1, 300)));
                    break;
            }
            if (list.Count == 0)
            {
                list.Add((byte)'G');
            }
        }
        return [.. list];
    }
}
