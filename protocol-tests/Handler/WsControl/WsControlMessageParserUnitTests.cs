using System.Text;
using Pushpin.Handler.WsControl;

namespace Pushpin.ProtocolTests.Handler.WsControl;

public sealed class WsControlMessageParserUnitTests
{
    private static WsControlMessage Parse(string json)
    {
        Assert.That(WsControlMessageParser.TryParse(Encoding.UTF8.GetBytes(json), out var message, out var error), Is.True, error);
        return message!;
    }

    private static string? Reject(string json)
    {
        Assert.That(WsControlMessageParser.TryParse(Encoding.UTF8.GetBytes(json), out var message, out var error), Is.False);
        Assert.That(message, Is.Null);
        return error;
    }

    [Test]
    public void Subscribe_with_filters()
    {
        var m = Parse("""{"type":"subscribe","channel":"room1","filters":["skip-self","build-id"]}""");
        Assert.That(m.Type, Is.EqualTo(WsControlMessageType.Subscribe));
        Assert.That(m.Channel, Is.EqualTo("room1"));
        Assert.That(m.Filters, Is.EqualTo(new[] { "skip-self", "build-id" }));
    }

    [Test]
    public void Subscribe_and_unsubscribe_need_a_non_empty_channel()
    {
        Assert.That(Parse("""{"type":"unsubscribe","channel":"a"}""").Type, Is.EqualTo(WsControlMessageType.Unsubscribe));
        Assert.That(Reject("""{"type":"subscribe","channel":""}"""), Does.Contain("'channel' with invalid value"));
        Assert.That(Reject("""{"type":"subscribe"}"""), Does.Contain("'channel'"));
        Assert.That(Reject("""{"type":"subscribe","channel":5}"""), Does.Contain("wrong type"));
        Assert.That(Reject("""{"type":"subscribe","channel":"a","filters":[1]}"""), Is.EqualTo("filters contains value with wrong type"));
        Assert.That(Reject("""{"type":"subscribe","channel":"a","filters":"x"}"""), Does.Contain("'filters'"));
    }

    [Test]
    public void More_than_five_filters_parse_so_the_session_can_close_with_1011()
    {
        var m = Parse("""{"type":"subscribe","channel":"a","filters":["1","2","3","4","5","6"]}""");
        Assert.That(m.Filters, Has.Count.GreaterThan(WsControlMessage.MaxFilters));
    }

    [Test]
    public void Detach_and_flush_delayed_have_no_fields()
    {
        Assert.That(Parse("""{"type":"detach"}""").Type, Is.EqualTo(WsControlMessageType.Detach));
        Assert.That(Parse("""{"type":"flush-delayed"}""").Type, Is.EqualTo(WsControlMessageType.FlushDelayed));
    }

    [Test]
    public void Session_id_may_be_absent_or_empty()
    {
        Assert.That(Parse("""{"type":"session","id":"s1"}""").SessionId, Is.EqualTo("s1"));
        Assert.That(Parse("""{"type":"session","id":""}""").SessionId, Is.Empty);
        Assert.That(Parse("""{"type":"session"}""").SessionId, Is.Null);
    }

    [Test]
    public void Set_meta_needs_a_name_and_absent_value_deletes()
    {
        var set = Parse("""{"type":"set-meta","name":"user","value":"alice"}""");
        Assert.That((set.MetaName, set.MetaValue), Is.EqualTo(("user", "alice")));
        Assert.That(Parse("""{"type":"set-meta","name":"user"}""").MetaValue, Is.Null);
        Assert.That(Reject("""{"type":"set-meta","name":""}"""), Does.Contain("'name' with invalid value"));
        Assert.That(Reject("""{"type":"set-meta"}"""), Does.Contain("'name'"));
    }

    [Test]
    public void Keep_alive_defaults_to_text_idle_55_seconds()
    {
        var m = Parse("""{"type":"keep-alive","content":"ka"}""");
        Assert.That(m.MessageType, Is.EqualTo(WsMessageType.Text));
        Assert.That(Encoding.UTF8.GetString(m.Content!), Is.EqualTo("ka"));
        Assert.That(m.Timeout, Is.Null);
        Assert.That(m.EffectiveTimeout, Is.EqualTo(55));
        Assert.That(m.IsIntervalMode, Is.False);
    }

    [Test]
    public void Keep_alive_with_every_field()
    {
        var m = Parse("""{"type":"keep-alive","content":"p","message-type":"ping","timeout":30,"mode":"interval"}""");
        Assert.That((m.MessageType, m.EffectiveTimeout, m.IsIntervalMode), Is.EqualTo((WsMessageType.Ping, 30, true)));
    }

    [Test]
    public void Keep_alive_without_content_disables_keep_alives()
    {
        var m = Parse("""{"type":"keep-alive","timeout":-5}""");
        Assert.That(m.Content, Is.Null);
        Assert.That(m.Timeout, Is.Null, "timeout is only read when there is content");
    }

    [Test]
    public void Content_bin_is_base64_and_stays_text_without_message_type()
    {
        var m = Parse("""{"type":"keep-alive","content-bin":"AAH/","content":"ignored"}""");
        Assert.That(m.Content, Is.EqualTo(new byte[] { 0, 1, 255 }));
        Assert.That(m.MessageType, Is.EqualTo(WsMessageType.Text));
        Assert.That(Parse("""{"type":"keep-alive","content-bin":"AAH/","message-type":"binary"}""").MessageType, Is.EqualTo(WsMessageType.Binary));
    }

    [Test]
    public void Send_delayed_defaults_to_one_second_and_has_no_mode()
    {
        var m = Parse("""{"type":"send-delayed","content":"later","message-type":"pong","mode":"interval"}""");
        Assert.That((m.Type, m.MessageType, m.EffectiveTimeout), Is.EqualTo((WsControlMessageType.SendDelayed, WsMessageType.Pong, 1)));
        Assert.That(m.KeepAliveMode, Is.Null);
    }

    [TestCase("""{"type":"keep-alive","content":"x","message-type":"close"}""", "'message-type' with unknown value")]
    [TestCase("""{"type":"keep-alive","content":"x","timeout":-1}""", "'timeout' with invalid value")]
    [TestCase("""{"type":"keep-alive","content":"x","timeout":"5"}""", "'timeout' with wrong type")]
    [TestCase("""{"type":"keep-alive","content":5}""", "'content' with wrong type")]
    [TestCase("""{"type":"keep-alive","content-bin":"***"}""", "'content-bin' with wrong type")]
    [TestCase("""{"type":"keep-alive","content":"x","mode":1}""", "'mode' with wrong type")]
    public void Bad_keep_alive_fields_are_rejected(string json, string expected) =>
        Assert.That(Reject(json), Does.Contain(expected));

    [TestCase("""{"type":"close"}""", TestName = "Unknown_type_close_is_not_a_control_message")]
    [TestCase("""{"channel":"a"}""", TestName = "Missing_type_is_not_a_control_message")]
    [TestCase("""{"type":1}""", TestName = "Non_string_type_is_not_a_control_message")]
    [TestCase("""["subscribe"]""", TestName = "Json_array_is_not_a_control_message")]
    [TestCase("""{"type":"subscribe",""", TestName = "Truncated_json_is_not_a_control_message")]
    [TestCase("not json", TestName = "Plain_text_is_not_a_control_message")]
    [TestCase("", TestName = "Empty_text_is_not_a_control_message")]
    public void Ignored_inputs_return_a_reason(string json) =>
        Assert.That(Reject(json), Is.Not.Null.And.Not.Empty);
}
