using System.Text;
using NUnit.Framework;
using Pushpin.Handler.Http;
using Pushpin.Handler.Instruct;
using Pushpin.Handler.Publishing;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>Random and mutated input never throws out of the parsers (it is rejected with a message).</summary>
[TestFixture]
public sealed class GarbageInputUnitTests
{
    private static readonly byte[] Valid = Encoding.UTF8.GetBytes(
        """J{"channel":"a","id":"1","prev-id":"0","meta":{"k":"v"},"formats":{"http-stream":{"content":"x","content-filters":["a"]},"http-response":{"code":200,"headers":[["a","b"]],"body-patch":[{"op":"add","path":"/a","value":1}]},"ws-message":{"content-bin":"AA=="}}}""");

    private static readonly byte[] ValidTn = [(byte)'T', .. Pushpin.Common.TNetStrings.TnetString.Encode(new Dictionary<string, object?>
    {
        ["channel"] = "a"u8.ToArray(),
        ["formats"] = new Dictionary<string, object?> { ["http-stream"] = new Dictionary<string, object?> { ["content"] = "x"u8.ToArray() } },
        ["meta"] = new Dictionary<string, object?> { ["k"] = "v"u8.ToArray() },
        ["size"] = 5L,
    })];

    [Test]
    public void Mutated_publish_payloads_are_rejected_or_parsed_without_throwing()
    {
        var rng = new Random(1234);
        foreach (var seed in new[] { Valid, ValidTn })
        {
            for (var i = 0; i < 20_000; i++)
            {
                var data = (byte[])seed.Clone();
                var edits = rng.Next(1, 4);
                for (var e = 0; e < edits; e++)
                {
                    data[rng.Next(data.Length)] = (byte)rng.Next(256);
                }
                if (rng.Next(4) == 0)
                {
                    data = data[..rng.Next(data.Length)];
                }
                if (PublishInputDecoder.TryDecode(data, out var v, out _))
                {
                    PublishItemParser.TryParse(v, null, out _, out _);
                }
            }
        }
    }

    [Test]
    public void Random_grip_headers_are_rejected_or_parsed_without_throwing()
    {
        var rng = new Random(99);
        string[] names = ["Grip-Hold", "Grip-Channel", "Grip-Timeout", "Grip-Keep-Alive", "Grip-Status", "Grip-Link", "Grip-Set-Meta", "Grip-Expose-Headers", "Content-Type"];
        const string alphabet = "abc;=,\"\\<> /:x01-\t";
        for (var i = 0; i < 20_000; i++)
        {
            var r = new HttpResponseData { Code = 200, Reason = "OK", Body = Encoding.UTF8.GetBytes("{\"hold\":{\"channels\":[{\"name\":\"a\"}]}}") };
            for (var h = rng.Next(1, 5); h > 0; h--)
            {
                var value = new string([.. Enumerable.Range(0, rng.Next(0, 20)).Select(_ => alphabet[rng.Next(alphabet.Length)])]);
                r.Headers.Add(names[rng.Next(names.Length)], rng.Next(10) == 0 ? "application/grip-instruct" : value);
            }
            InstructParser.TryParse(r, out _, out _);
        }
    }
}
