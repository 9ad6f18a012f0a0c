using System.Text;
using Pushpin.Common.TNetStrings;

namespace Pushpin.ProtocolTests.Common;

public sealed class TnetStringUnitTests
{
    private static string Enc(object? value) => Encoding.Latin1.GetString(TnetString.Encode(value));

    [TestCase("5:hello,", "hello")]
    [TestCase("0:,", "")]
    public void Byte_strings_decode_to_bytes(string wire, string expected) =>
        Assert.That(TnetString.Parse(Encoding.Latin1.GetBytes(wire)), Is.EqualTo(Encoding.UTF8.GetBytes(expected)));

    [TestCase("3:200#", 200L)]
    [TestCase("2:-1#", -1L)]
    [TestCase("1:0#", 0L)]
    public void Integers_decode(string wire, long expected) =>
        Assert.That(TnetString.Parse(Encoding.ASCII.GetBytes(wire)), Is.EqualTo(expected));

    [Test]
    public void Every_scalar_type_decodes()
    {
        Assert.That(TnetString.Parse("3:1.5^"u8), Is.EqualTo(1.5));
        Assert.That(TnetString.Parse("4:true!"u8), Is.EqualTo(true));
        Assert.That(TnetString.Parse("5:false!"u8), Is.EqualTo(false));
        Assert.That(TnetString.Parse("0:~"u8), Is.Null);
    }

    [Test]
    public void Nested_header_list_from_the_reference_round_trips()
    {
        const string wire = "34:30:12:Content-Type,10:text/plain,]]";
        var value = TnetString.Parse(Encoding.ASCII.GetBytes(wire));
        var outer = (List<object?>)value!;
        var pair = (List<object?>)outer[0]!;
        Assert.That(Encoding.ASCII.GetString((byte[])pair[0]!), Is.EqualTo("Content-Type"));
        Assert.That(Enc(value), Is.EqualTo(wire));
    }

    [Test]
    public void Dictionary_encodes_with_exact_size_prefix()
    {
        var d = new Dictionary<string, object?> { ["foo"] = "bar" };
        Assert.That(Enc(d), Is.EqualTo("12:3:foo,3:bar,}"));
        Assert.That(Enc(new Dictionary<string, object?>()), Is.EqualTo("0:}"));
        Assert.That(Enc(new List<object?>()), Is.EqualTo("0:]"));
        Assert.That(Enc(new List<object?> { 1L, 2L }), Is.EqualTo("8:1:1#1:2#]"));
    }

    [Test]
    public void Large_containers_get_multi_digit_sizes()
    {
        var list = Enumerable.Range(0, 1000).Select(i => (object?)(long)i).ToList();
        var wire = TnetString.Encode(list);
        Assert.That(TnetString.Parse(wire), Is.EqualTo(list));
    }

    [Test]
    public void Zrpc_reply_from_the_capture_parses()
    {
        var wire = "155:2:id,1:1,5:value,116:12:publish-pull,21:tcp://127.0.0.1:25560,11:publish-sub,21:tcp://127.0.0.1:25562,7:command,21:tcp://127.0.0.1:25563,}7:success,4:true!}"u8;
        var d = TnetString.ParseDictionary(wire);
        Assert.That(d.GetString("id"), Is.EqualTo("1"));
        Assert.That(d.GetBoolean("success"), Is.True);
        Assert.That(d.GetDictionary("value")!.GetString("command"), Is.EqualTo("tcp://127.0.0.1:25563"));
    }

    [TestCase("")]
    [TestCase("5:abc,")]
    [TestCase("3:abc")]
    [TestCase("-1:,")]
    [TestCase("a:,")]
    [TestCase("3:abc?")]
    [TestCase("1:x~")]
    [TestCase("5:maybe!")]
    [TestCase("4:12a4#")]
    [TestCase("6:1:a,1:b]x")]
    [TestCase("4:1:a,}")]
    [TestCase("6:1:1#1:2#}")]
    [TestCase("99999999999:,")]
    public void Malformed_input_throws_tnetstring_exception(string wire) =>
        Assert.Throws<TnetStringException>(() => TnetString.Parse(Encoding.ASCII.GetBytes(wire)));

    [Test]
    public void Trailing_bytes_after_the_value_are_ignored()
    {
        Assert.That(TnetString.Parse("1:1#garbage"u8, out var consumed), Is.EqualTo(1L));
        Assert.That(consumed, Is.EqualTo(4));
    }

    [Test]
    public void Random_garbage_never_escapes_as_another_exception()
    {
        var random = new Random(1234);
        var seed = TnetString.Encode(new Dictionary<string, object?> { ["a"] = new List<object?> { 1L, "x", true, null }, ["b"] = 2.5 });
        for (var i = 0; i < 20000; i++)
        {
            var buf = (byte[])seed.Clone();
            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                buf[random.Next(buf.Length)] = (byte)random.Next(256);
            }
            try
            {
                TnetString.Parse(buf.AsSpan(0, random.Next(buf.Length + 1)));
            }
            catch (TnetStringException)
            {
                // Expected for most mutations.
            }
        }
        Assert.Pass("20000 mutations parsed or rejected cleanly");
    }
}
