using System.Buffers;
using System.Text;
using Pushpin.Proxy.WebSockets;

namespace Pushpin.ProtocolTests.Proxy.WebSockets;

public sealed class WebSocketEventCodecUnitTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static List<WebSocketEvent> DecodeAll(string body)
    {
        Assert.That(WebSocketEventCodec.TryDecodeAll(B(body), out var events, out var error), Is.True, error);
        return events;
    }

    [Test]
    public void First_request_is_exactly_OPEN()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketEventCodec.Write(w, WebSocketEventType.Open);
        Assert.That(Encoding.ASCII.GetString(w.WrittenSpan), Is.EqualTo("OPEN\r\n"));
    }

    [Test]
    public void Reference_open_response_decodes_to_open_and_two_texts()
    {
        var events = DecodeAll("OPEN\r\nTEXT 28\r\nc:{\"type\":\"subscribe\",\"channel\":\"room1\"}\r\nTEXT 9\r\nm:welcome\r\n");
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { WebSocketEventType.Open, WebSocketEventType.Text, WebSocketEventType.Text }));
        Assert.That(events[0].HasContent, Is.False);
        Assert.That(Encoding.UTF8.GetString(events[1].ContentToArray()), Is.EqualTo("c:{\"type\":\"subscribe\",\"channel\":\"room1\"}"));
        Assert.That(Encoding.UTF8.GetString(events[2].ContentToArray()), Is.EqualTo("m:welcome"));
    }

    [Test]
    public void Client_hello_encodes_as_in_the_reference()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketEventCodec.WriteMessage(w, WebSocketEventType.Text, "hello"u8);
        Assert.That(Encoding.ASCII.GetString(w.WrittenSpan), Is.EqualTo("TEXT 5\r\nhello\r\n"));
    }

    [Test]
    public void Echo_response_with_lowercase_hex_decodes()
    {
        var events = DecodeAll("TEXT c\r\nm:echo:hello\r\n");
        Assert.That(Encoding.UTF8.GetString(events.Single().ContentToArray()), Is.EqualTo("m:echo:hello"));
    }

    [Test]
    public void Lengths_are_written_in_lowercase_hex_and_read_in_any_case()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketEventCodec.Write(w, WebSocketEventType.Binary, new byte[255]);
        Assert.That(Encoding.ASCII.GetString(w.WrittenSpan[..11]), Is.EqualTo("BINARY ff\r\n"));
        var upper = DecodeAll("TEXT C\r\nm:echo:hello\r\n");
        Assert.That(upper.Single().Content.Length, Is.EqualTo(12));
    }

    [Test]
    public void Empty_ping_and_pong_omit_content_but_empty_text_keeps_it()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketEventCodec.WriteMessage(w, WebSocketEventType.Ping, []);
        WebSocketEventCodec.WriteMessage(w, WebSocketEventType.Pong, "p"u8);
        WebSocketEventCodec.WriteMessage(w, WebSocketEventType.Text, []);
        Assert.That(Encoding.ASCII.GetString(w.WrittenSpan), Is.EqualTo("PING\r\nPONG 1\r\np\r\nTEXT 0\r\n\r\n"));
    }

    [Test]
    public void Close_with_code_and_reason_round_trips()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketEventCodec.WriteClose(w, 1000, "done");
        Assert.That(w.WrittenSpan.ToArray(), Is.EqualTo("CLOSE 6\r\n"u8.ToArray().Concat(new byte[] { 0x03, 0xE8 }).Concat("done\r\n"u8.ToArray()).ToArray()));
        Assert.That(WebSocketEventCodec.TryDecodeAll(w.WrittenMemory, out var events, out _), Is.True);
        Assert.That(events.Single().CloseCode, Is.EqualTo(1000));
        Assert.That(events.Single().CloseReason, Is.EqualTo("done"));
    }

    [Test]
    public void Bare_close_and_disconnect_have_no_content()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketEventCodec.WriteClose(w, null, null);
        WebSocketEventCodec.Write(w, WebSocketEventType.Disconnect);
        Assert.That(Encoding.ASCII.GetString(w.WrittenSpan), Is.EqualTo("CLOSE\r\nDISCONNECT\r\n"));
        var events = DecodeAll("CLOSE\r\nDISCONNECT\r\n");
        Assert.That(events[0].CloseCode, Is.Null);
        Assert.That(events[1].Type, Is.EqualTo(WebSocketEventType.Disconnect));
    }

    [Test]
    public void Every_event_type_round_trips()
    {
        var w = new ArrayBufferWriter<byte>();
        WebSocketEventCodec.Write(w, WebSocketEventType.Open);
        WebSocketEventCodec.WriteMessage(w, WebSocketEventType.Text, "t"u8);
        WebSocketEventCodec.WriteMessage(w, WebSocketEventType.Binary, new byte[] { 0, 13, 10, 255 });
        WebSocketEventCodec.WriteMessage(w, WebSocketEventType.Ping, "pi"u8);
        WebSocketEventCodec.WriteMessage(w, WebSocketEventType.Pong, "po"u8);
        WebSocketEventCodec.WriteClose(w, 4001, "bye");
        WebSocketEventCodec.Write(w, WebSocketEventType.Disconnect);
        Assert.That(WebSocketEventCodec.TryDecodeAll(w.WrittenMemory, out var events, out _), Is.True);
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[]
        {
            WebSocketEventType.Open, WebSocketEventType.Text, WebSocketEventType.Binary, WebSocketEventType.Ping,
            WebSocketEventType.Pong, WebSocketEventType.Close, WebSocketEventType.Disconnect,
        }));
        Assert.That(events[2].ContentToArray(), Is.EqualTo(new byte[] { 0, 13, 10, 255 }));
        Assert.That((events[5].CloseCode, events[5].CloseReason), Is.EqualTo(((int?)4001, "bye")));
    }

    [Test]
    public void Unknown_event_types_decode_as_unknown_with_their_name()
    {
        var events = DecodeAll("FOO 2\r\nab\r\nTEXT 1\r\nx\r\n");
        Assert.That(events[0].Type, Is.EqualTo(WebSocketEventType.Unknown));
        Assert.That(events[0].Name, Is.EqualTo("FOO"));
        Assert.That(events[1].Type, Is.EqualTo(WebSocketEventType.Text));
    }

    [Test]
    public void Empty_body_is_no_events() =>
        Assert.That(DecodeAll(string.Empty), Is.Empty);

    [Test]
    public void Missing_crlf_after_the_last_content_is_tolerated_as_upstream_does() =>
        Assert.That(Encoding.UTF8.GetString(DecodeAll("TEXT 2\r\nhi").Single().ContentToArray()), Is.EqualTo("hi"));

    [TestCase("TEXT", "event line without CRLF")]
    [TestCase("TEXT zz\r\nhi\r\n", "event length is not a hex number")]
    [TestCase("TEXT \r\n\r\n", "event length is not a hex number")]
    [TestCase("TEXT -1\r\n\r\n", "event length is not a hex number")]
    [TestCase("TEXT 5\r\nhi\r\n", "event content shorter than its length")]
    [TestCase("TEXT 2\r\nhiXX", "event content not followed by CRLF")]
    [TestCase("TEXT 2\r\nhi\r", "event content not followed by CRLF")]
    [TestCase("\r\n", "empty event type")]
    [TestCase(" 2\r\nhi\r\n", "empty event type")]
    [TestCase("TEXT 123456789\r\n", "event length is not a hex number")]
    public void Malformed_bodies_fail_with_an_exact_error(string body, string expected)
    {
        Assert.That(WebSocketEventCodec.TryDecodeAll(B(body), out var events, out var error), Is.False);
        Assert.That(error, Is.EqualTo(expected));
        Assert.That(events, Is.Empty);
    }

    [Test]
    public void Incremental_parse_waits_for_every_prefix_and_then_completes()
    {
        var body = B("TEXT 5\r\nhello\r\nPING\r\n");
        for (var i = 0; i < 15; i++)
        {
            var status = WebSocketEventCodec.TryRead(new ReadOnlySequence<byte>(body, 0, i), false, out _, out _, out var error);
            Assert.That(status, Is.EqualTo(WebSocketEventParseStatus.NeedMoreData), $"prefix {i}: {error}");
        }

        var seq = new ReadOnlySequence<byte>(body);
        Assert.That(WebSocketEventCodec.TryRead(seq, false, out var first, out var consumed, out _), Is.EqualTo(WebSocketEventParseStatus.Done));
        Assert.That(first.ContentToArray(), Is.EqualTo("hello"u8.ToArray()));
        Assert.That(WebSocketEventCodec.TryRead(seq.Slice(consumed), false, out var second, out _, out _), Is.EqualTo(WebSocketEventParseStatus.Done));
        Assert.That(second.Type, Is.EqualTo(WebSocketEventType.Ping));
    }

    [Test]
    public void Incremental_parse_rejects_garbage_after_content_without_waiting()
    {
        var status = WebSocketEventCodec.TryRead(new ReadOnlySequence<byte>(B("TEXT 2\r\nhiX")), false, out _, out _, out var error);
        Assert.That(status, Is.EqualTo(WebSocketEventParseStatus.Error));
        Assert.That(error, Is.EqualTo("event content not followed by CRLF"));
    }

    [Test]
    public void Overlong_line_without_crlf_is_an_error_not_an_endless_wait()
    {
        var status = WebSocketEventCodec.TryRead(new ReadOnlySequence<byte>(new byte[100]), false, out _, out _, out var error);
        Assert.That(status, Is.EqualTo(WebSocketEventParseStatus.Error));
        Assert.That(error, Is.Not.Null);
    }

    [Test]
    [CancelAfter(10_000)]
    public void Seeded_random_bodies_never_throw()
    {
        var random = new Random(73);
        var alphabet = B("TEXT OPEN CLOSE 0123456789abcdefABCDEF\r\n");
        for (var run = 0; run < 20_000; run++)
        {
            var body = new byte[random.Next(0, 40)];
            for (var i = 0; i < body.Length; i++)
            {
                body[i] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }

            WebSocketEventCodec.TryDecodeAll(body, out _, out _);
            WebSocketEventCodec.TryRead(new ReadOnlySequence<byte>(body), false, out _, out _, out _);
        }
    }
}
