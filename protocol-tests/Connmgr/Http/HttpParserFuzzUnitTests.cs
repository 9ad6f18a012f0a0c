using System.Buffers;
using System.Diagnostics;
using System.Text;
using Pushpin.Connmgr.Http;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.Http;

/// <summary>
/// Seeded random mutations of valid inputs, each parser run for a fixed time budget (about 10 s in
/// all): no exception escapes, every answer is one the caller can act on, and the parser's
/// bookkeeping (consumed positions, lengths, limits) stays consistent.
/// </summary>
[TestFixture]
public sealed class HttpParserFuzzUnitTests
{
    private const int Seed = 20261123;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3.5);

    private static readonly string[] Seeds =
    [
        "GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: a:80\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET http://a.example/x HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    ];

    private static readonly byte[] Interesting = [.. "\r\n :;,\t\"@\\"u8, 0, 0x7f, 0x80, 0xff, .. "0123456789aAfFxX-/*?"u8];

    [Test]
    [CancelAfter(60_000)]
    public void Request_parser_and_chunked_decoder_survive_random_mutations()
    {
        const int maxHead = 256;
        var random = new Random(Seed);
        var decoder = new ChunkedDecoder();
        var outcomes = new int[3];
        var chunkedBodies = 0;
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        while (clock.Elapsed < Budget)
        {
            iterations++;
            var bytes = Mutate(Encoding.Latin1.GetBytes(Seeds[random.Next(Seeds.Length)]), random);
            var split = random.Next(1, Math.Max(2, bytes.Length));
            var seq = split < bytes.Length ? HttpRequestParserUnitTests.TwoSegments(bytes, split) : new ReadOnlySequence<byte>(bytes);
            var status = HttpRequestParser.TryParse(seq, maxHead, out var head, out var consumed, out var examined, out var rejection);
            outcomes[(int)status]++;

            // The same bytes in one segment must get the same answer.
            var again = HttpRequestParser.TryParse(new ReadOnlySequence<byte>(bytes), maxHead, out _, out var consumedFlat, out _, out var rejectionFlat);
            Assert.That((again, rejectionFlat), Is.EqualTo((status, rejection)), Describe(bytes));
            switch (status)
            {
                case ParseStatus.Rejected:
                    Assert.That(RequestRejections.StatusCode(rejection), Is.AnyOf(400, 431, 501, 505), Describe(bytes));
                    break;
                case ParseStatus.NeedMoreData:
                    // Waiting for more is only allowed while the head is still under the limit.
                    Assert.That(bytes.Length, Is.LessThanOrEqualTo(maxHead + 2 + 16), Describe(bytes));
                    Assert.That(seq.GetOffset(consumed), Is.Zero);
                    Assert.That(seq.GetOffset(examined), Is.EqualTo(bytes.Length));
                    break;
                default:
                    Assert.That(seq.GetOffset(consumed), Is.EqualTo(consumedFlat.GetInteger()).And.InRange(16, Math.Min(bytes.Length, maxHead + 2 + 16)));
                    Assert.That(head!.Method, Is.Not.Empty);
                    Assert.That(head.Target, Is.Not.Empty);
                    Assert.That(head.MinorVersion, Is.AnyOf(0, 1));
                    Assert.That(head.Headers, Has.Count.LessThanOrEqualTo(HttpRequestParser.MaxHeaders));
                    Assert.That(head.ContentLength, Is.GreaterThanOrEqualTo(0));
                    if (head.Framing == BodyFraming.Chunked)
                    {
                        chunkedBodies++;
                        DecodeChunked(decoder, seq.Slice(consumed), random);
                    }
                    break;
            }
        }
        TestContext.Out.WriteLine($"{iterations} inputs: complete {outcomes[0]}, need more {outcomes[1]}, rejected {outcomes[2]}, chunked bodies {chunkedBodies}");
        Assert.That(outcomes, Has.All.Positive);
        Assert.That(chunkedBodies, Is.Positive);
    }

    [Test]
    [CancelAfter(60_000)]
    public void Chunked_decoder_survives_random_bodies_fed_in_random_pieces()
    {
        var random = new Random(Seed + 1);
        var decoder = new ChunkedDecoder();
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        while (clock.Elapsed < Budget / 2)
        {
            iterations++;
            var body = Mutate("5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n"u8.ToArray(), random);
            DecodeChunked(decoder, new ReadOnlySequence<byte>(body), random);
        }
        TestContext.Out.WriteLine($"{iterations} bodies");
    }

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(60_000)]
    public void Websocket_receiver_survives_random_mutations_of_client_frames(bool deflate)
    {
        var random = new Random(Seed + (deflate ? 3 : 2));
        var clean = ClientFrames(deflate);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        while (clock.Elapsed < Budget / 2)
        {
            iterations++;
            var bytes = Mutate(clean, random);
            using var receiver = new WebSocketReceiver(WebSocketRole.Server, deflate ? new PerMessageDeflateParameters(false, false) : null, maxMessageSize: 4096, maxFrameSize: 1024);
            var input = new ReadOnlySequence<byte>(bytes);
            var payload = new ArrayBufferWriter<byte>();
            string outcome;
            while (true)
            {
                var before = payload.WrittenCount;
                var status = receiver.TryReceive(input, payload, out var received, out var consumed, out var error);
                if (status == WebSocketParseStatus.Error)
                {
                    Assert.That(error.CloseCode, Is.AnyOf(WebSocketCloseCodes.ProtocolError, WebSocketCloseCodes.InvalidPayload, WebSocketCloseCodes.MessageTooBig), error.Reason);
                    Assert.That(error.Reason, Is.Not.Empty);
                    outcome = "error " + error.CloseCode;
                    break;
                }
                if (status == WebSocketParseStatus.NeedMoreData)
                {
                    outcome = input.IsEmpty ? "all frames" : "need more";
                    break;
                }
                var advanced = input.Slice(input.Start, consumed).Length;
                Assert.That(advanced, Is.InRange(2, input.Length), "a frame consumes its bytes and no more");
                Assert.That(payload.WrittenCount - before, Is.EqualTo(received.Opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary ? received.PayloadLength : 0));
                Assert.That(received.PayloadLength, Is.LessThanOrEqualTo(4096));
                input = input.Slice(consumed);
                if (received.Opcode == WebSocketOpcode.Close)
                {
                    Assert.That(receiver.CloseReceived, Is.True);
                    outcome = "close";
                    break;
                }
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        TestContext.Out.WriteLine($"{iterations} inputs: " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        Assert.That(outcomes.Keys, Has.Some.StartsWith("error"));
        Assert.That(outcomes.Keys, Has.Some.EqualTo("close"));
    }

    /// <summary>Decodes until done, rejected or out of input; every step must make progress and respect its limit.</summary>
    private static void DecodeChunked(ChunkedDecoder decoder, ReadOnlySequence<byte> rest, Random random)
    {
        decoder.Reset();
        long total = 0;
        for (var steps = 0; ; steps++)
        {
            Assert.That(steps, Is.LessThan(100_000), "the decoder must make progress");
            var max = random.Next(1, 10);
            var s = decoder.Read(rest, max, out var data, out var c, out var rejection);
            var taken = rest.GetOffset(c) - rest.GetOffset(rest.Start);
            Assert.That(taken, Is.InRange(0, rest.Length));
            rest = rest.Slice(c);
            switch (s)
            {
                case ChunkedStatus.Data:
                    Assert.That(data.Length, Is.InRange(1, max));
                    total += data.Length;
                    continue;
                case ChunkedStatus.Rejected:
                    Assert.That(RequestRejections.StatusCode(rejection), Is.EqualTo(400));
                    return;
                case ChunkedStatus.Done:
                    Assert.That(decoder.IsDone, Is.True);
                    return;
                default:
                    Assert.That(total, Is.LessThanOrEqualTo(1L << 20));
                    return;
            }
        }
    }

    /// <summary>A masked client stream: text, fragmented binary with a ping in between, pong, close.</summary>
    private static byte[] ClientFrames(bool deflate)
    {
        var w = new ArrayBufferWriter<byte>();
        var key = 0x12345678u;
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Text, fin: true, rsv1: false, "héllo wörld"u8, key);
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Binary, fin: false, rsv1: false, new byte[200], key);
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Ping, fin: true, rsv1: false, "p"u8, key);
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Continuation, fin: true, rsv1: false, new byte[300], key);
        if (deflate)
        {
            // "hello" compressed (RFC 7692 §7.2.3.1), RSV1 set.
            WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Text, fin: true, rsv1: true, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], key);
        }
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Pong, fin: true, rsv1: false, [], key);
        WebSocketFrameWriter.WriteFrame(w, WebSocketOpcode.Close, fin: true, rsv1: false, [0x03, 0xe8, (byte)'b', (byte)'y', (byte)'e'], key);
        return w.WrittenSpan.ToArray();
    }

    private static string Describe(byte[] bytes) => Encoding.Latin1.GetString(bytes).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static byte[] Mutate(byte[] input, Random random)
    {
        var list = new List<byte>(input);
        var mutations = random.Next(1, 4);
        for (var m = 0; m < mutations; m++)
        {
            var pos = random.Next(list.Count);
            switch (random.Next(7))
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
                case 4:
                    list[pos] ^= (byte)(1 << random.Next(8));
                    break;
                case 5:
                    // Truncate: the tail is still to come.
                    list.RemoveRange(pos, list.Count - pos);
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
