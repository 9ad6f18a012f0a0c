using System.Text;
using NUnit.Framework;
using Pushpin.Handler.Publishing;
using Pushpin.Handler.Variants;

namespace Pushpin.ProtocolTests.Handler;

[TestFixture]
public sealed class JsonPatchUnitTests
{
    private static string Apply(string body, string ops)
    {
        Assert.That(JsonVariant.TryParse(Encoding.UTF8.GetBytes(ops), out var v), Is.True);
        return Encoding.UTF8.GetString(JsonPatch.ApplyToBody(Encoding.UTF8.GetBytes(body), (List<object?>)v!));
    }

    [TestCase("""{"b":1,"a":[1,2]}""" + "\n", """[{"op":"add","path":"/c","value":{"y":1,"x":2}}]""", """{"a":[1,2],"b":1,"c":{"x":2,"y":1}}""" + "\n")]
    [TestCase("""{"a":[1,2]}""", """[{"op":"add","path":"/a/1","value":9},{"op":"add","path":"/a/-","value":3}]""", """{"a":[1,9,2,3]}""")]
    [TestCase("""{"a":1,"b":2}""" + "\r\n", """[{"op":"remove","path":"/a"}]""", """{"b":2}""" + "\r\n")]
    [TestCase("""{"a":1}""", """[{"op":"replace","path":"/a","value":"x"}]""", """{"a":"x"}""")]
    [TestCase("""{"a":{"b":1},"c":[]}""", """[{"op":"move","from":"/a/b","path":"/c/0"}]""", """{"a":{},"c":[1]}""")]
    [TestCase("""{"a":[1]}""", """[{"op":"copy","from":"/a","path":"/b"}]""", """{"a":[1],"b":[1]}""")]
    [TestCase("""{"a":5}""", """[{"op":"test","path":"/a","value":5},{"op":"add","path":"/t","value":true}]""", """{"a":5,"t":true}""")]
    public void Patch_is_applied_with_sorted_keys_and_the_trailing_newline_kept(string body, string ops, string expected)
    {
        Assert.That(Apply(body, ops), Is.EqualTo(expected));
    }

    [TestCase("""{"a":5}""", """[{"op":"test","path":"/a","value":6}]""")]
    [TestCase("""{"a":5}""", """[{"op":"remove","path":"/nope"}]""")]
    [TestCase("""{"a":5}""", """[{"op":"replace","path":"/b","value":1}]""")]
    [TestCase("""{"a":5}""", """[{"op":"frobnicate","path":"/a"}]""")]
    [TestCase("""{"a":{"b":1}}""", """[{"op":"move","from":"/a","path":"/a/b/c"}]""")]
    [TestCase("""not json""", """[{"op":"add","path":"/a","value":1}]""")]
    [TestCase("""5""", """[{"op":"add","path":"/a","value":1}]""")]
    [TestCase("""{"a":5}""", """[5]""")]
    public void Failed_patch_gives_an_empty_body(string body, string ops)
    {
        Assert.That(Apply(body, ops), Is.Empty);
    }
}
