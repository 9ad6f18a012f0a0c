using NUnit.Framework;
using Pushpin.Proxy.Routing;

namespace Pushpin.ProtocolTests.Proxy.Routing;

public sealed class RouteLineParserUnitTests
{
    // Each case: line, expected rendering ("value{name=v;name=v} value{...}") or "!error".
    private static readonly object[] Cases =
    [
        new object[] { "apple", "apple{}" },
        new object[] { "apple banana", "apple{} banana{}" },
        new object[] { "  apple   banana  # comment", "apple{} banana{}" },
        new object[] { "apple,organic,type=gala,from=\"washington, \\\"usa\\\"\"", "apple{organic=;type=gala;from=washington, \"usa\"}" },
        new object[] { "apple,organic banana cherry,type=bing", "apple{organic=} banana{} cherry{type=bing}" },
        new object[] { ",organic", "{organic=}" },
        new object[] { "type=gala", "{type=gala}" },
        new object[] { "id=x test", "{id=x} test{}" },
        new object[] { "", "" },
        new object[] { "   # only a comment", "" },
        new object[] { "a:1,b:2", "a:1{b:2=}" },
        new object[] { "*,header=\"X-A: one two\" test", "*{header=X-A: one two} test{}" },
        new object[] { "\"quoted value\" x", "quoted value{} x{}" },
        new object[] { "a\"b c\"d x", "ab cd{} x{}" },
        new object[] { "*,h=\"a#b\" t # c", "*{h=a#b} t{}" },
        new object[] { "*,sub=a,sub=b t", "*{sub=a;sub=b} t{}" },
        new object[] { "apple,organic,type=\"gala", "!unterminated quoted section" },
        new object[] { "apple,organic,", "!expecting prop" },
        new object[] { "apple,organic,=gala", "!empty prop name" },
        new object[] { "apple,\"x\\", "!unterminated escape sequence" },
        new object[] { "apple,\"x\\n\"", "!unexpected escape character: n" },
        new object[] { "apple,,x", "!expecting prop" },
    ];

    [TestCaseSource(nameof(Cases))]
    public void Line_parses_like_upstream(string line, string expected)
    {
        var ok = RouteLineParser.TryParse(line, out var sections, out var error);
        if (expected.StartsWith('!'))
        {
            Assert.Multiple(() =>
            {
                Assert.That(ok, Is.False);
                Assert.That(error, Is.EqualTo(expected[1..]));
            });
            return;
        }
        Assert.That(ok, Is.True, error);
        var rendered = string.Join(' ', sections.Select(s => s.Value + "{" + string.Join(';', s.Props.Select(p => p.Key + "=" + p.Value)) + "}"));
        Assert.That(rendered, Is.EqualTo(expected));
    }
}
