using System.Buffers;
using System.Text;
using Pushpin.Connmgr.Http;

namespace Pushpin.ProtocolTests.Connmgr.Http;

[TestFixture]
public sealed class HttpResponseParserUnitTests
{
    private static ParseStatus Parse(string text, out HttpResponseHead? head, out long consumed, out string? error)
    {
        var seq = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text));
        var status = HttpResponseParser.TryParse(seq, 8192, out head, out var c, out error);
        consumed = seq.Slice(0, c).Length;
        return status;
    }

    [Test]
    public void Status_line_and_headers_keep_case_and_order()
    {
        const string text = "HTTP/1.1 404 Not Found\r\nX-B: 2\r\nx-a: 1\r\nContent-Length: 3\r\n\r\nabc";
        Assert.That(Parse(text, out var head, out var consumed, out _), Is.EqualTo(ParseStatus.Complete));
        Assert.That((head!.Code, head.Reason, head.ContentLength, head.Chunked), Is.EqualTo((404, "Not Found", 3L, false)));
        Assert.That(head.Headers, Is.EqualTo(new[] { new HeaderField("X-B", "2"), new HeaderField("x-a", "1"), new HeaderField("Content-Length", "3") }));
        Assert.That(consumed, Is.EqualTo(text.Length - 3));
    }

    [Test]
    public void Bare_lf_line_endings_and_empty_reason_are_accepted()
    {
        Assert.That(Parse("HTTP/1.0 204\nServer: x\n\n", out var head, out _, out _), Is.EqualTo(ParseStatus.Complete));
        Assert.That((head!.Code, head.Reason, head.MinorVersion), Is.EqualTo((204, "", 0)));
    }

    [Test]
    public void Chunked_wins_over_content_length()
    {
        Parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", out var head, out _, out _);
        Assert.That((head!.Chunked, head.ContentLength), Is.EqualTo((true, -1L)));
    }

    [Test]
    public void Incomplete_head_needs_more_data() =>
        Assert.That(Parse("HTTP/1.1 200 OK\r\nA: b\r\n", out _, out _, out _), Is.EqualTo(ParseStatus.NeedMoreData));

    [TestCase("HTTP/2 200 OK\r\n\r\n")]
    [TestCase("HTTP/1.1 20 OK\r\n\r\n")]
    [TestCase("HTTP/1.1 200OK\r\n\r\n")]
    [TestCase("ICY 200 OK\r\n\r\n")]
    [TestCase("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n")]
    [TestCase("HTTP/1.1 200 OK\r\n folded\r\n\r\n")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")]
    public void Malformed_response_is_rejected(string text)
    {
        Assert.That(Parse(text, out _, out _, out var error), Is.EqualTo(ParseStatus.Rejected));
        Assert.That(error, Is.Not.Null);
    }
}
