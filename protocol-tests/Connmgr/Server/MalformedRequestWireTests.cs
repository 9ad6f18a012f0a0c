using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Http;
using Pushpin.ProtocolTests.Connmgr.Http;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>
/// The hostile-request corpus over a real socket: each request gets its exact status line and
/// <c>Connection: close</c>, nothing reaches the responder, and the server serves the next client.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class MalformedRequestWireTests
{
    // Bodies that break chunked framing after a valid head (the head reaches the responder first).
    private static readonly (string Body, string What)[] BadChunkedBodies =
    [
        ("zz\r\n", "non-hex size"),
        ("-1\r\n", "negative size"),
        ("0x5\r\nhello\r\n0\r\n\r\n", "0x prefix"),
        ("fffffffffffffffff\r\n", "size overflow"),
        ("\r\n", "empty size line"),
        ("5\nhello\r\n0\r\n\r\n", "bare LF after size"),
        ("5;a=\x01\r\nhello\r\n0\r\n\r\n", "control char in extension"),
        ("5 x\r\nhello\r\n0\r\n\r\n", "junk after size"),
        ("5\r\nhelloXX0\r\n\r\n", "data longer than size"),
        ("5\r\nhello\n0\r\n\r\n", "bare LF after data"),
        ("0\r\nX: " + new string('a', 9000) + "\r\n\r\n", "trailers too large"),
        ("0\r\nX: y\n\r\n", "bare LF in trailer"),
    ];

    private ServerHarness _h = null!;

    [OneTimeSetUp]
    public async Task OneTimeSetUp() => _h = await ServerHarness.StartAsync();

    [OneTimeTearDown]
    public async Task OneTimeTearDown() => await _h.DisposeAsync();

    private static IEnumerable<TestCaseData> Corpus() =>
        HttpRequestParserUnitTests.MalformedCorpus.Select((c, i) =>
            new TestCaseData(c.Request, c.Status).SetName($"Wire_malformed_request_{i:00}_gets_{c.Status}"));

    private static IEnumerable<TestCaseData> Bodies() =>
        BadChunkedBodies.Select((c, i) => new TestCaseData(c.Body).SetName($"Wire_bad_chunked_body_{i:00}_{c.What.Replace(' ', '_')}_gets_400"));

    [TestCaseSource(nameof(Corpus))]
    public async Task Malformed_request_gets_its_exact_status_line_and_the_server_serves_on(string request, int status)
    {
        using (var client = await _h.ConnectAsync())
        {
            await client.SendAsync(request);
            var text = await client.ReadToEndAsync();
            var statusLine = $"HTTP/1.1 {status} {RequestRejections.ReasonPhrase(status)}\r\n";
            Assert.That(text, Does.StartWith(statusLine));
            Assert.That(text, Does.Contain("\r\nConnection: close\r\n"));
        }
        Assert.That(await _h.NextPacketAsync(TimeSpan.FromMilliseconds(50)), Is.Null, "a rejected request must not reach the responder");
        await AssertServesAsync();
    }

    [TestCaseSource(nameof(Bodies))]
    public async Task Bad_chunked_body_gets_400_the_responder_a_cancel_and_the_server_serves_on(string body)
    {
        using (var client = await _h.ConnectAsync())
        {
            await client.SendAsync("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
            var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
            s.Credit(100_000);
            var text = await client.ReadToEndAsync();
            Assert.That(text, Does.StartWith("HTTP/1.1 400 Bad Request\r\n"));
            // Anything before the bad framing may have been forwarded; the session must end with a cancel.
            ZhttpPacket p;
            do
            {
                p = await _h.ExpectPacketAsync();
            }
            while (p.Type == ZhttpPacketType.Data);
            Assert.That(p.Type, Is.EqualTo(ZhttpPacketType.Cancel));
        }
        await AssertServesAsync();
    }

    [Test]
    public async Task Requests_split_into_single_bytes_get_the_same_answers()
    {
        // A handful of corpus entries dribbled one byte per send: framing must not depend on segmentation.
        foreach (var index in new[] { 0, 20, 32, 38, 42 })
        {
            var (request, status) = HttpRequestParserUnitTests.MalformedCorpus[index];
            using var client = await _h.ConnectAsync();
            foreach (var b in System.Text.Encoding.Latin1.GetBytes(request))
            {
                try
                {
                    await client.SendRawAsync([b]);
                }
                catch (IOException)
                {
                    // The server answered and closed before the rest: fine.
                    break;
                }
            }
            Assert.That(await client.ReadToEndAsync(), Does.StartWith($"HTTP/1.1 {status} "), $"corpus entry {index}");
        }
        await AssertServesAsync();
    }

    private async Task AssertServesAsync()
    {
        using var good = await _h.ConnectAsync();
        await good.SendAsync("GET /still-here HTTP/1.1\r\nHost: a\r\n\r\n");
        var p = await _h.ExpectPacketAsync();
        Assert.That(p.Uri, Is.EqualTo("http://a/still-here"));
        new ResponderSession(_h.Responder, "resp1", p).Respond(200, "OK", [], "ok", more: false);
        Assert.That(await good.ReadResponseAsync(), Is.EqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    }
}
