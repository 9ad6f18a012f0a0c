using System.Text;
using NUnit.Framework;
using Pushpin.Handler.Filters;

namespace Pushpin.ProtocolTests.Handler;

/// <summary>The built-in filters as tables: meta in, drop / content / error out (upstream filter.cpp).</summary>
[TestFixture]
public sealed class MessageFiltersUnitTests
{
    private static Dictionary<string, string> Meta(params (string, string)[] kv) => kv.ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    private static FilterResult Run(string filter, Dictionary<string, string> sub, Dictionary<string, string> pub, string content = "x", Dictionary<string, string?>? prevIds = null) =>
        MessageFilters.Run([filter], new FilterContext { SubscriptionMeta = sub, PublishMeta = pub, PrevIds = prevIds ?? new Dictionary<string, string?> { ["a"] = null } }, Encoding.UTF8.GetBytes(content));

    [TestCase("alice", "alice", true)]
    [TestCase("alice", "bob", false)]
    [TestCase("", "", false)]
    [TestCase("alice", "", false)]
    public void Skip_self_drops_only_when_user_and_sender_are_equal_and_set(string user, string sender, bool dropped)
    {
        var r = Run("skip-self", Meta(("user", user)), Meta(("sender", sender)));
        Assert.That((r.Drop, r.Error), Is.EqualTo((dropped, (string?)null)));
    }

    [TestCase("bob", " alice , bob ,carol", true)]
    [TestCase("dave", "alice,bob", false)]
    [TestCase("", "alice,,", false)]
    public void Skip_users_drops_users_in_the_trimmed_comma_list(string user, string skip, bool dropped)
    {
        var r = Run("skip-users", Meta(("user", user)), Meta(("skip_users", skip)));
        Assert.That(r.Drop, Is.EqualTo(dropped));
    }

    [Test]
    public void Require_sub_drops_unless_the_session_has_the_named_unprefixed_channel()
    {
        var prevIds = new Dictionary<string, string?> { ["a"] = null, ["vip"] = "3" };
        Assert.That(Run("require-sub", Meta(), Meta(("require_sub", "vip")), prevIds: prevIds).Drop, Is.False);
        Assert.That(Run("require-sub", Meta(), Meta(("require_sub", "other")), prevIds: prevIds).Drop, Is.True);
        Assert.That(Run("require-sub", Meta(), Meta(), prevIds: prevIds).Drop, Is.False, "no require_sub: delivered");
    }

    [TestCase("hi %(name)s, 100%%", "hi Ann, 100%")]
    [TestCase("plain", "plain")]
    public void Var_subst_replaces_subscription_meta_variables(string content, string expected)
    {
        var r = Run("var-subst", Meta(("name", "Ann")), Meta(), content);
        Assert.That((Encoding.UTF8.GetString(r.Content), r.Error), Is.EqualTo((expected, (string?)null)));
    }

    [TestCase("%(nope)s", "No such variable 'nope' at position 7")]
    [TestCase("%d", "Unknown directive 'd' at position 1")]
    [TestCase("%s", "Directive 's' requires argument at position 1")]
    [TestCase("50%", "Expected directive after '%' at position 2")]
    [TestCase("%(name", "Unterminated field starting at position 1")]
    [TestCase("%!", "Unknown directive '!' at position 1")]
    public void Var_subst_errors_name_the_position_as_upstream(string content, string error)
    {
        Assert.That(Run("var-subst", Meta(("name", "Ann")), Meta(), content).Error, Is.EqualTo(error));
    }

    [Test]
    public void Build_id_renders_the_id_format_from_prev_ids_and_hex_encodes_on_request()
    {
        var prevIds = new Dictionary<string, string?> { ["a"] = "7" };
        var r = Run("build-id", Meta(("id_format", "id-%(a)s")), Meta(), "[%I] [%(lit)I] %%", prevIds);
        Assert.That(Encoding.UTF8.GetString(r.Content), Is.EqualTo("[id-7] [lit] %"));

        r = Run("build-id", Meta(("id_format", "%(a)s"), ("id_encoding", "hex")), Meta(), "%I", prevIds);
        Assert.That(Encoding.UTF8.GetString(r.Content), Is.EqualTo("37"));
    }

    [Test]
    public void Build_id_errors_without_id_format_a_default_id_or_a_known_encoding()
    {
        Assert.That(Run("build-id", Meta(), Meta(), "%I").Error, Is.EqualTo("no sub meta 'id_format'"));
        Assert.That(Run("build-id", Meta(("id_format", "%(a)s")), Meta(), "%I").Error, Does.StartWith("failed to render ID: No such variable 'a'"), "channel a has no prev-id");
        Assert.That(Run("build-id", Meta(("id_format", "x"), ("id_encoding", "b64")), Meta(), "%I").Error, Is.EqualTo("unsupported encoding: b64"));
    }

    [Test]
    public void Build_id_on_an_initial_body_has_no_default_id_and_names_the_filter_in_errors()
    {
        var ok = MessageFilters.RunOnResponse([["build-id"]], Meta(("id_format", "x")), "a %(z)I b"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(ok.Content), Is.EqualTo("a z b"));
        var bad = MessageFilters.RunOnResponse([["build-id"], ["build-id", "skip-self"]], Meta(("id_format", "x")), "%I"u8.ToArray());
        Assert.That(bad.Error, Is.EqualTo("build-id: No ID specified and no default ID in context at position 1"));
    }

    [Test]
    public void Chain_stops_at_the_first_drop_and_unknown_filters_are_ignored()
    {
        var ctx = new FilterContext { SubscriptionMeta = Meta(("user", "u")), PublishMeta = Meta(("sender", "u")) };
        var r = MessageFilters.Run(["no-such-filter", "skip-self", "var-subst"], ctx, "%(missing)s"u8.ToArray());
        Assert.That((r.Drop, r.Error), Is.EqualTo((true, (string?)null)), "var-subst never ran");
    }

    [Test]
    public void Targets_match_upstream()
    {
        Assert.That(MessageFilters.Targets("build-id"), Is.EqualTo(FilterTargets.MessageContent | FilterTargets.ResponseContent));
        Assert.That(MessageFilters.Targets("var-subst"), Is.EqualTo(FilterTargets.MessageContent));
        Assert.That(MessageFilters.Targets("skip-self"), Is.EqualTo(FilterTargets.MessageDelivery));
        Assert.That(MessageFilters.Targets("bogus"), Is.EqualTo(FilterTargets.None));
    }
}
