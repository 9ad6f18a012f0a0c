using NUnit.Framework;
using System.Text;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Variants;

namespace Pushpin.ProtocolTests.Handler;

[TestFixture]
public sealed class PublishItemParserUnitTests
{
    private static object? Json(string s)
    {
        Assert.That(JsonVariant.TryParse(Encoding.UTF8.GetBytes(s), out var v), Is.True);
        return v;
    }

    private static string Error(string json)
    {
        Assert.That(PublishItemParser.TryParse(Json(json), null, out _, out var error), Is.False);
        return error;
    }

    [TestCase("""5""", "publish item object is not an object")]
    [TestCase("""{}""", "publish item object does not contain 'channel'")]
    [TestCase("""{"channel":5}""", "publish item object contains 'channel' with wrong type")]
    [TestCase("""{"channel":"a","id":5,"formats":{}}""", "publish item object contains 'id' with wrong type")]
    [TestCase("""{"channel":"a","prev-id":[]}""", "publish item object contains 'prev-id' with wrong type")]
    [TestCase("""{"channel":"a","formats":5}""", "publish item object contains 'formats' with wrong type")]
    [TestCase("""{"channel":"a"}""", "no formats specified")]
    [TestCase("""{"channel":"a","formats":{}}""", "no formats specified")]
    [TestCase("""{"channel":"a","formats":{"http-stream":5}}""", "'http-stream' is not an object")]
    [TestCase("""{"channel":"a","formats":{"http-stream":{}}}""", "'http-stream' does not contain 'content' or 'content-bin'")]
    [TestCase("""{"channel":"a","formats":{"http-stream":{"content":5}}}""", "'http-stream' contains 'content' with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-stream":{"action":"explode"}}}""", "")]
    [TestCase("""{"channel":"a","formats":{"http-stream":{"action":5}}}""", "'http-stream' contains 'action' with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-stream":{"content":"x","content-filters":"f"}}}""", "'http-stream' contains 'content-filters' with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-stream":{"content":"x","content-filters":[1]}}}""", "content-filters contains element with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-response":{}}}""", "'http-response' does not contain 'body', 'body-bin', or 'body-patch'")]
    [TestCase("""{"channel":"a","formats":{"http-response":{"code":1000,"body":""}}}""", "'http-response' contains 'code' with invalid value")]
    [TestCase("""{"channel":"a","formats":{"http-response":{"code":[],"body":""}}}""", "'http-response' contains 'code' with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-response":{"reason":1,"body":""}}}""", "'http-response' contains 'reason' with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-response":{"headers":5,"body":""}}}""", "'http-response' contains 'headers' with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-response":{"headers":[5],"body":""}}}""", "headers contains element with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-response":{"headers":[[1,"v"]],"body":""}}}""", "header contains name element with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-response":{"headers":[["n",1]],"body":""}}}""", "header contains value element with wrong type")]
    [TestCase("""{"channel":"a","formats":{"http-response":{"body-patch":{}}}}""", "'http-response' contains 'body-patch' with wrong type")]
    [TestCase("""{"channel":"a","formats":{"ws-message":{}}}""", "'ws-message' does not contain 'content' or 'content-bin'")]
    [TestCase("""{"channel":"a","formats":{"ws-message":{"type":"yell","content":"x"}}}""", "'ws-message' contains 'type' with unknown value")]
    [TestCase("""{"channel":"a","formats":{"ws-message":{"content-bin":5}}}""", "'ws-message' contains 'content-bin' with wrong type")]
    [TestCase("""{"channel":"a","formats":{"ws-message":{"action":"close","code":-1}}}""", "'ws-message' contains 'code' with invalid value")]
    [TestCase("""{"channel":"a","http-stream":{"content":"x"},"meta":{"k":1}}""", "'meta' contains 'k' with wrong type")]
    [TestCase("""{"channel":"a","http-stream":{"content":"x"},"meta":5}""", "publish item object contains 'meta' with wrong type")]
    [TestCase("""{"channel":"a","http-stream":{"content":"x"},"size":-1}""", "publish item object contains 'size' with invalid value")]
    [TestCase("""{"channel":"a","http-stream":{"content":"x"},"size":[]}""", "publish item object contains 'size' with wrong type")]
    [TestCase("""{"channel":"a","http-stream":{"content":"x"},"no-seq":1}""", "publish item object contains 'no-seq' with wrong type")]
    public void Bad_item_is_rejected_with_upstream_message(string json, string message)
    {
        Assert.That(Error(json), Is.EqualTo(message));
    }

    [Test]
    public void Full_item_is_parsed()
    {
        Assert.That(PublishItemParser.TryParse(Json("""
            {"channel":"news","id":"7","prev-id":"6","meta":{"sender":"s"},"size":10,"no-seq":true,
             "formats":{"http-stream":{"content":"hello\n"},
                        "http-response":{"code":201,"headers":{"X-Pub":"1"},"body-bin":"aGk="},
                        "ws-message":{"content-bin":"AAE="}}}
            """), null, out var item, out var error), Is.True, error);
        Assert.Multiple(() =>
        {
            Assert.That((item!.Channel, item.Id, item.PrevId, item.Size, item.NoSeq), Is.EqualTo(("news", "7", "6", 10, true)));
            Assert.That(item.Meta["sender"], Is.EqualTo("s"));
            Assert.That(item.HttpStream!.Body, Is.EqualTo("hello\n"u8.ToArray()));
            Assert.That((item.HttpResponse!.Code, item.HttpResponse.Reason), Is.EqualTo((201, "Created")));
            Assert.That(item.HttpResponse.Body, Is.EqualTo("hi"u8.ToArray()));
            Assert.That(item.HttpResponse.Headers.Single().Key, Is.EqualTo("X-Pub"));
            Assert.That((item.WsMessage!.MessageType, item.WsMessage.Body), Is.EqualTo((WsMessageType.Binary, new byte[] { 0, 1 })).Using<(WsMessageType, byte[])>((a, b) => a.Item1 == b.Item1 && a.Item2.SequenceEqual(b.Item2)));
        });
    }

    [Test]
    public void Formats_may_sit_directly_on_the_item_and_close_needs_no_content()
    {
        Assert.That(PublishItemParser.TryParse(Json("""{"channel":"a","http-stream":{"action":"close"}}"""), null, out var item, out _), Is.True);
        Assert.That(item!.HttpStream!.Action, Is.EqualTo(PublishAction.Close));
    }

    [Test]
    public void Tnetstring_items_use_byte_strings_and_do_not_know_body_bin()
    {
        var item = new Dictionary<string, object?>
        {
            ["channel"] = "c"u8.ToArray(),
            ["formats"] = new Dictionary<string, object?>
            {
                ["http-response"] = new Dictionary<string, object?> { ["body-bin"] = "aGk="u8.ToArray() },
            },
        };
        Assert.That(PublishItemParser.TryParse(item, null, out _, out var error), Is.False);
        Assert.That(error, Is.EqualTo("'http-response' does not contain 'body' or 'body-patch'"));
    }

    [Test]
    public void Channel_override_replaces_the_item_channel()
    {
        Assert.That(PublishItemParser.TryParse(Json("""{"http-stream":{"content":"x"}}"""), "topic", out var item, out _), Is.True);
        Assert.That(item!.Channel, Is.EqualTo("topic"));
    }

    [Test]
    public void One_bad_item_rejects_all()
    {
        var list = (List<object?>)Json("""[{"channel":"a","http-stream":{"content":"x"}},{"channel":"b"}]""")!;
        Assert.That(PublishItemParser.TryParseItems(list, out var items, out var error), Is.False);
        Assert.That((items.Count, error), Is.EqualTo((0, "no formats specified")));
    }
}
