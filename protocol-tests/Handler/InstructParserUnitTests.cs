using NUnit.Framework;
using System.Text;
using Pushpin.Handler.Http;
using Pushpin.Handler.Instruct;

namespace Pushpin.ProtocolTests.Handler;

[TestFixture]
public sealed class InstructParserUnitTests
{
    private static HttpResponseData Response(string body = "", int code = 200, params (string Name, string Value)[] headers)
    {
        var r = new HttpResponseData { Code = code, Reason = "OK", Body = Encoding.UTF8.GetBytes(body) };
        foreach (var (n, v) in headers)
        {
            r.Headers.Add(n, v);
        }
        return r;
    }

    private static GripInstruct Ok(HttpResponseData r)
    {
        Assert.That(InstructParser.TryParse(r, out var i, out var error), Is.True, error);
        return i!;
    }

    private static string Error(HttpResponseData r)
    {
        Assert.That(InstructParser.TryParse(r, out _, out var error), Is.False);
        return error;
    }

    [TestCase("Grip-Hold", "bogus", "Grip-Hold must be set to either 'response' or 'stream'")]
    [TestCase("Grip-Timeout", "abc", "failed to parse Grip-Timeout")]
    [TestCase("Grip-Timeout", "-3", "Grip-Timeout has invalid value")]
    [TestCase("Grip-Channel", "a; filter=1; filter=2; filter=3; filter=4; filter=5; filter=6", "too many filters for channel 'a'")]
    [TestCase("Grip-Channel", "a, , b", "failed to parse Grip-Channel")]
    [TestCase("Grip-Keep-Alive", "; format=raw", "Grip-Keep-Alive cannot be empty")]
    [TestCase("Grip-Keep-Alive", "x; mode=sometimes", "no such Grip-Keep-Alive mode 'sometimes'")]
    [TestCase("Grip-Keep-Alive", "x; timeout=soon", "failed to parse Grip-Keep-Alive timeout value")]
    [TestCase("Grip-Keep-Alive", "x; timeout=-1", "Grip-Keep-Alive timeout has invalid value")]
    [TestCase("Grip-Keep-Alive", "x\\; format=cstring", "failed to parse Grip-Keep-Alive cstring format")]
    [TestCase("Grip-Keep-Alive", "\\xZZ; format=cstring", "failed to parse Grip-Keep-Alive cstring format")]
    [TestCase("Grip-Keep-Alive", "x; format=hex", "no such Grip-Keep-Alive format 'hex'")]
    [TestCase("Grip-Status", "abc", "Grip-Status contains invalid status code")]
    [TestCase("Grip-Status", "1000 Big", "Grip-Status contains invalid status code")]
    [TestCase("Grip-Link", "http://x/; rel=next", "failed to parse Grip-Link value")]
    [TestCase("Grip-Link", "<http://x/>; rel=next; timeout=x", "failed to parse Grip-Link timeout value")]
    [TestCase("Grip-Link", "<http://x/>; rel=next; timeout=-2", "Grip-Link timeout has invalid value")]
    public void Bad_header_is_rejected_with_upstream_message(string name, string value, string message)
    {
        var r = name == "Grip-Hold" ? Response(headers: [(name, value)]) : Response(headers: [("Grip-Hold", "stream"), (name, value)]);
        Assert.That(Error(r), Is.EqualTo(message));
    }

    [Test]
    public void Stream_hold_with_channels_and_keep_alive_is_parsed()
    {
        var i = Ok(Response("initial\n", headers: [
            ("Content-Type", "text/plain"),
            ("Grip-Hold", "stream"),
            ("Grip-Channel", "a; prev-id=7; filter=skip-self, b"),
            ("Grip-Channel", "c"),
            ("Grip-Keep-Alive", ":\\n\\n; format=cstring; timeout=20; mode=interval"),
            ("Grip-Set-Meta", "user=alice, room=\"x y\""),
        ]));
        Assert.Multiple(() =>
        {
            Assert.That(i.HoldMode, Is.EqualTo(HoldMode.Stream));
            Assert.That(i.Channels.Select(c => c.Name), Is.EqualTo(new[] { "a", "b", "c" }));
            Assert.That(i.Channels[0].PrevId, Is.EqualTo("7"));
            Assert.That(i.Channels[0].Filters, Is.EqualTo(new[] { "skip-self" }));
            Assert.That(i.Channels[1].PrevId, Is.Null);
            Assert.That(i.KeepAliveData, Is.EqualTo(":\n\n"u8.ToArray()));
            Assert.That(i.KeepAliveTimeout, Is.EqualTo(20));
            Assert.That(i.KeepAliveMode, Is.EqualTo(KeepAliveMode.Interval));
            Assert.That(i.Meta, Is.EqualTo(new Dictionary<string, string> { ["user"] = "alice", ["room"] = "x y" }));
            Assert.That(i.Response.Headers.Select(h => h.Key), Is.EqualTo(new[] { "Content-Type" }));
            Assert.That(i.Response.Body, Is.EqualTo("initial\n"u8.ToArray()));
        });
    }

    [Test]
    public void Timeout_defaults_to_55_and_is_raised_to_5()
    {
        Assert.That(Ok(Response(headers: [("Grip-Hold", "response"), ("Grip-Channel", "a")])).Timeout, Is.EqualTo(55));
        Assert.That(Ok(Response(headers: [("Grip-Hold", "response"), ("Grip-Timeout", "3")])).Timeout, Is.EqualTo(5));
        Assert.That(Ok(Response(headers: [("Grip-Hold", "response"), ("Grip-Timeout", "20")])).Timeout, Is.EqualTo(20));
    }

    [Test]
    public void Keep_alive_defaults_to_raw_idle_55_and_decodes_base64()
    {
        var raw = Ok(Response(headers: [("Grip-Hold", "stream"), ("Grip-Keep-Alive", "ping")]));
        Assert.That((raw.KeepAliveData, raw.KeepAliveMode, raw.KeepAliveTimeout), Is.EqualTo(("ping"u8.ToArray(), KeepAliveMode.Idle, 55)).Using<(byte[], KeepAliveMode, int)>((a, b) => a.Item1.SequenceEqual(b.Item1) && a.Item2 == b.Item2 && a.Item3 == b.Item3));
        var b64 = Ok(Response(headers: [("Grip-Hold", "stream"), ("Grip-Keep-Alive", "aGk=; format=base64; timeout=0")]));
        Assert.That(b64.KeepAliveData, Is.EqualTo("hi"u8.ToArray()));
        Assert.That(b64.KeepAliveTimeout, Is.EqualTo(1));
    }

    [Test]
    public void Grip_status_overrides_code_and_reason()
    {
        var i = Ok(Response(headers: [("Grip-Status", "404 Gone Away")]));
        Assert.That((i.Response.Code, i.Response.Reason), Is.EqualTo((404, "Gone Away")));
        var j = Ok(Response(headers: [("Grip-Status", "299")]));
        Assert.That((j.Response.Code, j.Response.Reason), Is.EqualTo((299, "Undefined Reason")));
    }

    [Test]
    public void Grip_headers_are_removed_and_expose_headers_keeps_only_the_listed_ones()
    {
        var i = Ok(Response(headers: [("Content-Type", "text/plain"), ("X-A", "1"), ("X-B", "2"), ("Grip-Expose-Headers", "x-a"), ("Grip-Foo", "z")]));
        Assert.That(i.Response.Headers.Select(h => h.Key), Is.EqualTo(new[] { "X-A" }));
    }

    [Test]
    public void Links_are_read_with_default_timeout()
    {
        var i = Ok(Response(headers: [("Grip-Hold", "stream"), ("Grip-Link", "</next?x=1>; rel=next, <http://h/gone>; rel=gone, <http://ignored>")]));
        Assert.That((i.NextLink, i.NextLinkTimeout, i.GoneLink), Is.EqualTo(("/next?x=1", 120, "http://h/gone")));
    }

    [Test]
    public void Json_instruct_replaces_backend_response()
    {
        const string body = """
            {"hold":{"mode":"stream","channels":[{"name":"news","prev-id":"3","filters":["skip-self"]}],
              "keep-alive":{"content":"\n","timeout":20},"meta":{"user":"u1"}},
             "response":{"code":201,"headers":{"Content-Type":"text/plain"},"body":"[open]\n"}}
            """;
        var i = Ok(Response(body, headers: [("Content-Type", "application/grip-instruct"), ("X-Dropped", "1"), ("Grip-Channel", "hdr")]));
        Assert.Multiple(() =>
        {
            Assert.That(i.HoldMode, Is.EqualTo(HoldMode.Stream));
            Assert.That(i.Channels.Select(c => c.Name), Is.EqualTo(new[] { "hdr", "news" }));
            Assert.That(i.Channels[1].PrevId, Is.EqualTo("3"));
            Assert.That(i.KeepAliveData, Is.EqualTo("\n"u8.ToArray()));
            Assert.That(i.KeepAliveTimeout, Is.EqualTo(20));
            Assert.That(i.KeepAliveMode, Is.EqualTo(KeepAliveMode.None), "JSON keep-alive has no mode (interval behaviour)");
            Assert.That(i.Meta["user"], Is.EqualTo("u1"));
            Assert.That((i.Response.Code, i.Response.Reason), Is.EqualTo((201, "Created")));
            Assert.That(i.Response.Headers.Select(h => h.Key + ": " + h.Value), Is.EqualTo(new[] { "Content-Type: text/plain" }));
            Assert.That(Encoding.UTF8.GetString(i.Response.Body), Is.EqualTo("[open]\n"));
        });
    }

    [Test]
    public void Json_hold_without_mode_is_a_response_hold_and_no_response_means_empty_200()
    {
        var i = Ok(Response("""{"hold":{"channels":[{"name":"a"}]}}""", headers: [("Content-Type", "application/grip-instruct; charset=utf-8")]));
        Assert.That(i.HoldMode, Is.EqualTo(HoldMode.Response));
        Assert.That((i.Response.Code, i.Response.Headers.Count, i.Response.Body.Length), Is.EqualTo((200, 0, 0)));
    }

    [TestCase("""{"hold":{}}""", 200, "hold does not contain 'channels'")]
    [TestCase("""{"hold":[]}""", 200, "instruct contains 'hold' with wrong type")]
    [TestCase("""{"hold":{"mode":"x","channels":[]}}""", 200, "hold 'mode' must be set to either 'response' or 'stream'")]
    [TestCase("""{"hold":{"mode":1,"channels":[]}}""", 200, "hold contains 'mode' with wrong type")]
    [TestCase("""{"hold":{"channels":{}}}""", 200, "hold contains 'channels' with wrong type")]
    [TestCase("""{"hold":{"channels":[{}]}}""", 200, "channel does not contain 'name'")]
    [TestCase("""{"hold":{"channels":[5]}}""", 200, "channel is not an object")]
    [TestCase("""{"hold":{"channels":[{"name":"a","filters":[1]}]}}""", 200, "filters contains value with wrong type")]
    [TestCase("""{"hold":{"channels":[],"timeout":[]}}""", 200, "hold contains 'timeout' with wrong type")]
    [TestCase("""{"hold":{"channels":[],"timeout":-1}}""", 200, "hold contains 'timeout' with invalid value")]
    [TestCase("""{"hold":{"channels":[],"keep-alive":{"content":5}}}""", 200, "keep-alive contains 'content' with wrong type")]
    [TestCase("""{"hold":{"channels":[],"meta":{"a":1}}}""", 200, "'meta' contains 'a' with wrong type")]
    [TestCase("""{"response":{"code":"x","headers":5}}""", 200, "response contains 'headers' with wrong type")]
    [TestCase("""{"response":{"code":1000}}""", 200, "response contains 'code' with invalid value")]
    [TestCase("""{"response":{"headers":[["a"]]}}""", 200, "headers contains list with wrong number of elements")]
    [TestCase("""{"response":{"headers":{"a":1}}}""", 200, "headers contains 'a' with wrong type")]
    [TestCase("""{"response":{"body":1}}""", 200, "response contains 'body' with wrong type")]
    [TestCase("""[1]""", 200, "instruct must be an object")]
    [TestCase("""{nope""", 200, "failed to parse application/grip-instruct content as JSON")]
    [TestCase("""{}""", 404, "response code for application/grip-instruct content must be 200")]
    public void Bad_json_instruct_is_rejected_with_upstream_message(string body, int code, string message)
    {
        Assert.That(Error(Response(body, code, ("Content-Type", "application/grip-instruct"))), Is.EqualTo(message));
    }
}
