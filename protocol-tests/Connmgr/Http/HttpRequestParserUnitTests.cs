using System.Buffers;
using System.Text;
using Pushpin.Connmgr.Http;

namespace Pushpin.ProtocolTests.Connmgr.Http;

[TestFixture]
public sealed class HttpRequestParserUnitTests
{
    private static ParseStatus Parse(string text, out HttpRequestHead? head, out long consumed, out RequestRejection rejection, int max = 8192)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        var seq = new ReadOnlySequence<byte>(bytes);
        var status = HttpRequestParser.TryParse(seq, max, out head, out var c, out _, out rejection);
        consumed = seq.Slice(0, c).Length;
        return status;
    }

    [Test]
    public void Simple_get_is_parsed_with_header_case_and_order_preserved()
    {
        var text = "GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Test: a \r\nx-test: b\r\nUser-Agent: t\r\n\r\nrest";
        var status = Parse(text, out var head, out var consumed, out _);
        Assert.That(status, Is.EqualTo(ParseStatus.Complete));
        Assert.That(head!.Method, Is.EqualTo("GET"));
        Assert.That(head.Target, Is.EqualTo("/hello?x=1"));
        Assert.That(head.MinorVersion, Is.EqualTo(1));
        Assert.That(head.Headers, Is.EqualTo(new[]
        {
            new Pushpin.Common.Zhttp.HttpHeader("Host", "example.com"), new Pushpin.Common.Zhttp.HttpHeader("X-Test", "a"),
            new Pushpin.Common.Zhttp.HttpHeader("x-test", "b"), new Pushpin.Common.Zhttp.HttpHeader("User-Agent", "t"),
        }));
        Assert.That(head.KeepAlive, Is.True);
        Assert.That(head.Framing, Is.EqualTo(BodyFraming.None));
        Assert.That(consumed, Is.EqualTo(text.Length - 4));
    }

    [Test]
    public void Partial_head_needs_more_data()
    {
        Assert.That(Parse("GET / HTTP/1.1\r\nHost: a\r\n", out _, out var consumed, out _), Is.EqualTo(ParseStatus.NeedMoreData));
        Assert.That(consumed, Is.Zero);
        Assert.That(Parse("GET / HTTP/1.1\r\nHost: a\r\n\r", out _, out _, out _), Is.EqualTo(ParseStatus.NeedMoreData));
        Assert.That(Parse("", out _, out _, out _), Is.EqualTo(ParseStatus.NeedMoreData));
        Assert.That(Parse("\r", out _, out _, out _), Is.EqualTo(ParseStatus.NeedMoreData));
    }

    [Test]
    public void Head_split_over_segments_is_parsed()
    {
        var text = "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
        var bytes = Encoding.ASCII.GetBytes(text);
        for (var split = 1; split < bytes.Length - 1; split++)
        {
            var seq = TwoSegments(bytes, split);
            var status = HttpRequestParser.TryParse(seq, 8192, out var head, out var consumed, out _, out _);
            Assert.That(status, Is.EqualTo(ParseStatus.Complete), $"split {split}");
            Assert.That(head!.ContentLength, Is.EqualTo(5));
            Assert.That(seq.Slice(consumed).Length, Is.EqualTo(5));
        }
    }

    [Test]
    public void Leading_empty_lines_are_skipped()
    {
        Assert.That(Parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", out var head, out _, out _), Is.EqualTo(ParseStatus.Complete));
        Assert.That(head!.Target, Is.EqualTo("/"));
    }

    [Test]
    public void Http10_defaults_to_close_and_keep_alive_is_honored()
    {
        Parse("GET / HTTP/1.0\r\n\r\n", out var head, out _, out _);
        Assert.That(head!.KeepAlive, Is.False);
        Assert.That(head.Host, Is.Null);
        Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", out head, out _, out _);
        Assert.That(head!.KeepAlive, Is.True);
        Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", out head, out _, out _);
        Assert.That(head!.KeepAlive, Is.False);
    }

    [Test]
    public void Chunked_expect_and_absolute_form_are_recognized()
    {
        Parse("POST http://h:1/x HTTP/1.1\r\nHost: h:1\r\nTransfer-Encoding: Chunked\r\nExpect: 100-continue\r\n\r\n", out var head, out _, out _);
        Assert.That(head!.Framing, Is.EqualTo(BodyFraming.Chunked));
        Assert.That(head.ExpectContinue, Is.True);
        Assert.That(head.Target, Is.EqualTo("http://h:1/x"));
        Assert.That(head.HasBody, Is.True);
    }

    [Test]
    public void Same_content_length_twice_is_accepted()
    {
        Assert.That(Parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", out var head, out _, out _), Is.EqualTo(ParseStatus.Complete));
        Assert.That(head!.ContentLength, Is.EqualTo(3));
    }

    [Test]
    public void Head_at_exactly_the_limit_is_accepted_and_one_more_byte_is_431()
    {
        const string prefix = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
        var pad = 200 - prefix.Length - 2;
        var ok = prefix + new string('a', pad) + "\r\n\r\n";
        Assert.That(Parse(ok, out _, out _, out _, max: 200), Is.EqualTo(ParseStatus.Complete));
        var tooBig = prefix + new string('a', pad + 1) + "\r\n\r\n";
        Assert.That(Parse(tooBig, out _, out _, out var rejection, max: 200), Is.EqualTo(ParseStatus.Rejected));
        Assert.That(RequestRejections.StatusCode(rejection), Is.EqualTo(431));
    }

    [Test]
    public void Endless_header_without_newline_is_431_before_the_head_ends()
    {
        var text = "GET / HTTP/1.1\r\nHost: a\r\nX: " + new string('a', 9000);
        Assert.That(Parse(text, out _, out _, out var rejection), Is.EqualTo(ParseStatus.Rejected));
        Assert.That(rejection, Is.EqualTo(RequestRejection.HeadersTooLarge));
    }

    // Each malformed request with the status the client must get.
    internal static readonly (string Request, int Status)[] MalformedCorpus =
    [
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", 400),                   // bare LF after request line
        ("GET / HTTP/1.1\r\nHost: a\n\r\n", 400),                   // bare LF after header
        ("GET / HTTP/1.1\r\nHost: a\r\n\n", 400),                   // bare LF as end of head
        ("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),               // leading bare LF
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),                // double space
        (" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),                // leading space
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),                // trailing space
        ("GET /\r\nHost: a\r\n\r\n", 400),                          // HTTP/0.9 style
        ("GET\r\nHost: a\r\n\r\n", 400),                            // method only
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),                 // bad method char
        ("GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n", 400),      // control char in value
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400),      // NUL in value
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u007Fb\r\n\r\n", 400),    // DEL in value
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),      // bare CR in value
        ("GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", 400),           // control char in target
        ("GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n", 400),             // non-ASCII target
        ("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),  // space in header name
        ("GET / HTTP/1.1\r\nHost: a\r\nX : x\r\n\r\n", 400),        // space before colon
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),      // no colon
        ("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400),      // empty name
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n", 400), // obs-fold
        ("GET / HTTP/1.1\r\nHost: a\r\nX(y): a\r\n\r\n", 400),      // non-token name
        ("GET / HTTP/1.1\r\n\r\n", 400),                            // HTTP/1.1 without Host
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),      // two Hosts
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),               // space in Host
        ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),               // slash in Host
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/a.b\r\nHost: a\r\n\r\n", 400),
        ("GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400),               // relative target
        ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),                 // * only for OPTIONS
        ("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400),         // authority form
        ("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400),         // absolute form without authority
        ("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),          // other scheme
        ("\r\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),           // CR CR LF before request
        ("GET / HTTP/1.1\r\nHost: a\r\nX: " + new string('a', 9000) + "\r\n\r\n", 431),
        ("GET /" + new string('a', 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, 70).Select(i => $"X{i}: v\r\n")) + "\r\n", 431),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400),      // signed length
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),    // hex length
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400),     // two numbers
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400), // chunked not last
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", 400), // quoted coding
        ("GE\0T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),            // NUL in method
        ("\0GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),            // leading NUL
        ("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n", 400),            // NUL in header name
        ("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400),            // NUL in target
        ("GET / HTTP/1.1\r\nHost: a\r\n\tX: y\r\n\r\n", 400),    // tab obs-fold
        ("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),              // first header folded
        ("GET http://user@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // userinfo in absolute form
        ("GET http://a\\b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),   // backslash in authority
        ("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400),             // userinfo in Host
        ("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),             // tab as separator
    ];

    private static IEnumerable<TestCaseData> Corpus() =>
        MalformedCorpus.Select((c, i) => new TestCaseData(c.Request, c.Status).SetName($"Malformed_request_{i:00}_is_rejected_with_{c.Status}"));

    [Test]
    public void Malformed_corpus_has_at_least_forty_cases() => Assert.That(MalformedCorpus, Has.Length.GreaterThanOrEqualTo(40));

    [TestCaseSource(nameof(Corpus))]
    public void Malformed_request_is_rejected(string request, int status)
    {
        var result = Parse(request, out _, out _, out var rejection);
        Assert.That(result, Is.EqualTo(ParseStatus.Rejected), "expected a rejection");
        Assert.That(RequestRejections.StatusCode(rejection), Is.EqualTo(status), rejection.ToString());
    }

    [TestCaseSource(nameof(Corpus))]
    public void Malformed_request_is_rejected_when_received_byte_by_byte(string request, int status)
    {
        // A rejection must not depend on how the bytes were split: feed growing prefixes.
        var bytes = Encoding.Latin1.GetBytes(request);
        for (var n = 1; n <= bytes.Length; n++)
        {
            var seq = new ReadOnlySequence<byte>(bytes, 0, n);
            var result = HttpRequestParser.TryParse(seq, 8192, out _, out _, out _, out var rejection);
            if (result == ParseStatus.Rejected)
            {
                Assert.That(RequestRejections.StatusCode(rejection), Is.EqualTo(status), $"after {n} bytes: {rejection}");
                return;
            }
            Assert.That(result, Is.EqualTo(ParseStatus.NeedMoreData), $"after {n} bytes");
        }
        Assert.Fail("never rejected");
    }

    internal static ReadOnlySequence<byte> TwoSegments(byte[] bytes, int split)
    {
        var first = new Segment(bytes.AsMemory(0, split), 0);
        var second = first.Append(bytes.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
