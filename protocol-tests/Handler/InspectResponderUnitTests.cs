using System.Text;
using NUnit.Framework;
using Pushpin.Common.Zrpc;
using Pushpin.Handler.Inspect;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>The handler's answer to zrpc inspect (internals.md §4.3), computed as upstream's handler does without a state service.</summary>
[TestFixture]
[CancelAfter(10_000)]
public sealed class InspectResponderUnitTests
{
    internal static Dictionary<string, object?> InspectArgs(string method, string uri, (string, string)[]? headers = null, bool? autoShare = null)
    {
        var args = new Dictionary<string, object?>
        {
            ["method"] = Encoding.Latin1.GetBytes(method),
            ["uri"] = Encoding.UTF8.GetBytes(uri),
            ["headers"] = (headers ?? []).Select(h => (object?)new List<object?> { Encoding.Latin1.GetBytes(h.Item1), Encoding.Latin1.GetBytes(h.Item2) }).ToList(),
            ["body"] = Array.Empty<byte>(),
        };
        if (autoShare is { } a)
        {
            args["auto-share"] = a;
        }
        return args;
    }

    private static ZrpcResponse Ask(Dictionary<string, object?>? args, bool shareAll = false, string method = "inspect") =>
        InspectResponder.Answer(new ZrpcRequest { Id = "1", Method = method, Args = args }, shareAll);

    private static Dictionary<string, object?> Value(ZrpcResponse r)
    {
        Assert.That(r.Success, Is.True, r.Condition);
        return (Dictionary<string, object?>)r.Value!;
    }

    private static string? SharingKey(ZrpcResponse r) =>
        Value(r).TryGetValue("sharing-key", out var k) ? Encoding.Latin1.GetString((byte[])k!) : null;

    [Test]
    public void Plain_request_is_proxied_with_no_sharing_key()
    {
        var value = Value(Ask(InspectArgs("GET", "http://example.com/a?x=1")));
        Assert.That(value.Keys, Is.EquivalentTo(new[] { "no-proxy" }));
        Assert.That(value["no-proxy"], Is.False);
    }

    [Test]
    public void Auto_shared_get_keys_on_the_uri_without_query_and_the_sorted_grip_last_values()
    {
        var r = Ask(InspectArgs("GET", "http://example.com/stream?client=7", [("Grip-Last", "b; last-id=2"), ("grip-last", "a; last-id=9, c; last-id=1")], autoShare: true));
        Assert.That(SharingKey(r), Is.EqualTo("auto|http://example.com/stream|a; last-id=9|b; last-id=2|c; last-id=1"));
        var other = Ask(InspectArgs("GET", "http://example.com/stream?client=8", [("Grip-Last", "a; last-id=9, c; last-id=1"), ("Grip-Last", "b; last-id=2")], autoShare: true));
        Assert.That(SharingKey(other), Is.EqualTo(SharingKey(r)), "another client's query and header order do not matter");
    }

    [Test]
    public void Auto_share_applies_to_get_only()
    {
        Assert.That(SharingKey(Ask(InspectArgs("POST", "http://example.com/stream", autoShare: true))), Is.Null);
    }

    [Test]
    public void Share_all_keys_every_request_on_method_and_full_uri()
    {
        Assert.That(SharingKey(Ask(InspectArgs("POST", "http://example.com/s?q=1"), shareAll: true)), Is.EqualTo("POST|http://example.com/s?q=1"));
        Assert.That(SharingKey(Ask(InspectArgs("GET", "http://example.com/s?q=1", autoShare: true), shareAll: true)), Is.EqualTo("auto|http://example.com/s"), "auto-share wins for GET");
    }

    [Test]
    public void Missing_or_mistyped_arguments_are_bad_request()
    {
        Assert.That(Ask(null).Condition, Is.EqualTo("bad-request"));
        var noBody = InspectArgs("GET", "http://example.com/");
        noBody.Remove("body");
        Assert.That(Ask(noBody).Condition, Is.EqualTo("bad-request"));
        var badHeader = InspectArgs("GET", "http://example.com/");
        badHeader["headers"] = new List<object?> { new List<object?> { "only-a-name"u8.ToArray() } };
        Assert.That(Ask(badHeader).Condition, Is.EqualTo("bad-request"));
        var badFlag = InspectArgs("GET", "http://example.com/");
        badFlag["auto-share"] = 1L;
        Assert.That(Ask(badFlag).Condition, Is.EqualTo("bad-request"));
        Assert.That(Ask(InspectArgs("GET", "not a uri")).Condition, Is.EqualTo("bad-request"));
    }

    [Test]
    public void Other_methods_are_not_found()
    {
        Assert.That(Ask(InspectArgs("GET", "http://example.com/"), method: "accept").Condition, Is.EqualTo("method-not-found"));
    }
}
