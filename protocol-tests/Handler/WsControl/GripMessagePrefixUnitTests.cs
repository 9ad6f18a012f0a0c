using System.Text;
using Pushpin.Common.WsControl;

namespace Pushpin.ProtocolTests.Handler.WsControl;

public sealed class GripMessagePrefixUnitTests
{
    [Test]
    public void Grip_extension_defaults_to_m_prefix() =>
        Assert.That(GripMessagePrefix.FromExtensions(["grip"])!.Prefix, Is.EqualTo("m:"));

    [TestCase("grip; message-prefix=x:", "x:")]
    [TestCase("GRIP;message-prefix=\"x:\"", "x:")]
    [TestCase("permessage-deflate, grip; message-prefix=\"a;b\"", "a;b")]
    [TestCase("grip; message-prefix=", "")]
    [TestCase("grip; other=1", "m:")]
    public void Message_prefix_parameter_is_honoured(string header, string expected) =>
        Assert.That(GripMessagePrefix.FromExtensions([header])!.Prefix, Is.EqualTo(expected));

    [TestCase("permessage-deflate")]
    [TestCase("gripx")]
    [TestCase("")]
    public void Without_grip_there_is_no_grip_mode(string header) =>
        Assert.That(GripMessagePrefix.FromExtensions([header]), Is.Null);

    [Test]
    public void Messages_are_sorted_into_control_content_and_dropped()
    {
        var grip = new GripMessagePrefix("m:");
        Assert.That(grip.Classify(Encoding.UTF8.GetBytes("c:{\"type\":\"detach\"}"), true, out var control), Is.EqualTo(GripMessageKind.Control));
        Assert.That(Encoding.UTF8.GetString(control.Span), Is.EqualTo("{\"type\":\"detach\"}"));
        Assert.That(grip.Classify(Encoding.UTF8.GetBytes("m:hello"), true, out var content), Is.EqualTo(GripMessageKind.Content));
        Assert.That(Encoding.UTF8.GetString(content.Span), Is.EqualTo("hello"));
        Assert.That(grip.Classify(Encoding.UTF8.GetBytes("hello"), true, out _), Is.EqualTo(GripMessageKind.Dropped));
        Assert.That(grip.Classify(Encoding.UTF8.GetBytes("c:{}"), false, out _), Is.EqualTo(GripMessageKind.Dropped), "binary c: is not control");
        Assert.That(grip.Classify(Encoding.UTF8.GetBytes("m:bin"), false, out _), Is.EqualTo(GripMessageKind.Content));
    }

    [Test]
    public void Custom_prefix_replaces_m()
    {
        var grip = GripMessagePrefix.FromExtensions(["grip; message-prefix=x:"])!;
        Assert.That(grip.Classify(Encoding.UTF8.GetBytes("m:hello"), true, out _), Is.EqualTo(GripMessageKind.Dropped));
        Assert.That(grip.Classify(Encoding.UTF8.GetBytes("x:hello"), true, out var body), Is.EqualTo(GripMessageKind.Content));
        Assert.That(Encoding.UTF8.GetString(body.Span), Is.EqualTo("hello"));
    }
}
