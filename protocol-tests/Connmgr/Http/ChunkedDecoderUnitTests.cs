using System.Buffers;
using System.Text;
using Pushpin.Connmgr.Http;

namespace Pushpin.ProtocolTests.Connmgr.Http;

[TestFixture]
public sealed class ChunkedDecoderUnitTests
{
    /// <summary>Feeds <paramref name="input"/> in pieces of <paramref name="step"/> bytes, as a pipe would.</summary>
    private static (ChunkedStatus Final, string Body, RequestRejection Rejection) Decode(string input, int step = int.MaxValue, long maxData = long.MaxValue)
    {
        var bytes = Encoding.Latin1.GetBytes(input);
        var decoder = new ChunkedDecoder();
        var body = new StringBuilder();
        var start = 0;
        var available = Math.Min(step, bytes.Length);
        while (true)
        {
            var seq = new ReadOnlySequence<byte>(bytes, start, available - start);
            var status = decoder.Read(seq, maxData, out var data, out var consumed, out var rejection);
            start += (int)seq.Slice(0, consumed).Length;
            switch (status)
            {
                case ChunkedStatus.Data:
                    body.Append(Encoding.Latin1.GetString(data.ToArray()));
                    break;
                case ChunkedStatus.NeedMoreData:
                    if (available == bytes.Length)
                    {
                        return (status, body.ToString(), rejection);
                    }
                    available = (int)Math.Min((long)available + step, bytes.Length);
                    break;
                default:
                    return (status, body.ToString(), rejection);
            }
        }
    }

    [Test]
    public void Chunks_are_decoded_and_trailers_dropped([Values(1, 2, 3, 7, 1000)] int step)
    {
        var (final, body, _) = Decode("5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n", step);
        Assert.That(final, Is.EqualTo(ChunkedStatus.Done));
        Assert.That(body, Is.EqualTo("hello, world"));
    }

    [Test]
    public void Data_is_limited_by_max_data()
    {
        var (final, body, _) = Decode("a\r\n0123456789\r\n0\r\n\r\n", maxData: 3);
        Assert.That(final, Is.EqualTo(ChunkedStatus.Done));
        Assert.That(body, Is.EqualTo("0123456789"));
    }

    [Test]
    public void Upper_case_hex_and_leading_zeros_are_accepted()
    {
        var (final, body, _) = Decode("00A\r\n0123456789\r\n0000\r\n\r\n");
        Assert.That(final, Is.EqualTo(ChunkedStatus.Done));
        Assert.That(body, Has.Length.EqualTo(10));
    }

    [TestCase("x\r\nabc\r\n0\r\n\r\n", nameof(RequestRejection.BadChunkSize))]
    [TestCase("\r\n", nameof(RequestRejection.BadChunkSize))]
    [TestCase("-1\r\n", nameof(RequestRejection.BadChunkSize))]
    [TestCase("5\nhello\r\n", nameof(RequestRejection.BadChunkSize))]
    [TestCase("1234567890abcdef0\r\n", nameof(RequestRejection.BadChunkSize))]
    [TestCase("5 x\r\nhello\r\n", nameof(RequestRejection.BadChunkSize))]
    [TestCase("3\r\nabcX\r\n", nameof(RequestRejection.BadChunkTerminator))]
    [TestCase("3\r\nabc\rX", nameof(RequestRejection.BadChunkTerminator))]
    [TestCase("0\r\nTrailer: x\n\r\n", nameof(RequestRejection.BareLineFeed))]
    public void Bad_framing_is_rejected(string input, string expected)
    {
        var (final, _, rejection) = Decode(input);
        Assert.That(final, Is.EqualTo(ChunkedStatus.Rejected));
        Assert.That(rejection.ToString(), Is.EqualTo(expected));
        Assert.That(RequestRejections.StatusCode(rejection), Is.EqualTo(400));
    }

    [Test]
    public void Huge_chunk_size_line_is_rejected()
    {
        var (final, _, rejection) = Decode("1;" + new string('x', 5000));
        Assert.That(final, Is.EqualTo(ChunkedStatus.Rejected));
        Assert.That(rejection, Is.EqualTo(RequestRejection.BadChunkSize));
    }
}
