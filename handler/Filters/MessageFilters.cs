using System.Text;

namespace Pushpin.Handler.Filters;

/// <summary>
/// The built-in filters (upstream's filter.cpp): skip-self, skip-users, require-sub (delivery),
/// var-subst (message content) and build-id (message and response content). Unknown names are
/// ignored, as upstream; http-check / http-modify need outbound requests and are not run here.
/// </summary>
internal static class MessageFilters
{
    public static FilterTargets Targets(string name) => name switch
    {
        "skip-self" or "skip-users" or "require-sub" or "http-check" => FilterTargets.MessageDelivery,
        "build-id" => FilterTargets.MessageContent | FilterTargets.ResponseContent,
        "var-subst" => FilterTargets.MessageContent,
        "http-modify" => FilterTargets.MessageDelivery | FilterTargets.MessageContent,
        _ => FilterTargets.None,
    };

    /// <summary>Runs a channel's filters, in order, on one published item's content; the first drop ends the chain.</summary>
    public static FilterResult Run(IReadOnlyList<string> names, FilterContext ctx, byte[] content)
    {
        foreach (var name in names)
        {
            switch (name)
            {
                case "skip-self":
                    if (SkipSelf(ctx))
                    {
                        return new FilterResult(true, content, null);
                    }
                    break;
                case "skip-users":
                    if (SkipUsers(ctx))
                    {
                        return new FilterResult(true, content, null);
                    }
                    break;
                case "require-sub":
                    if (RequireSubMissing(ctx))
                    {
                        return new FilterResult(true, content, null);
                    }
                    break;
                case "var-subst":
                    content = VarSubst(ctx, content, out var varError)!;
                    if (varError is not null)
                    {
                        return FilterResult.Failed(varError);
                    }
                    break;
                case "build-id":
                    content = BuildId(ctx, content, out var idError)!;
                    if (idError is not null)
                    {
                        return FilterResult.Failed(idError);
                    }
                    break;
                default:
                    break;
            }
        }
        return new FilterResult(false, content, null);
    }

    /// <summary>
    /// The ResponseContent filters of every channel (each once) applied to an initial response
    /// body; errors read "&lt;filter&gt;: &lt;message&gt;" as upstream's FilterStack.
    /// </summary>
    public static FilterResult RunOnResponse(IEnumerable<IEnumerable<string>> channelFilters, IReadOnlyDictionary<string, string> subscriptionMeta, byte[] body)
    {
        var seen = new List<string>();
        foreach (var filters in channelFilters)
        {
            foreach (var f in filters)
            {
                if ((Targets(f) & FilterTargets.ResponseContent) != 0 && !seen.Contains(f))
                {
                    seen.Add(f);
                }
            }
        }
        var ctx = new FilterContext { SubscriptionMeta = subscriptionMeta };
        foreach (var f in seen)
        {
            // build-id is the only response-content filter.
            body = BuildId(ctx, body, out var error)!;
            if (error is not null)
            {
                return FilterResult.Failed($"{f}: {error}");
            }
        }
        return new FilterResult(false, body, null);
    }

    /// <summary>The subscription's MessageContent filters, in order (what a publish's <c>content-filters</c> must equal).</summary>
    public static IEnumerable<string> ContentFilterNames(IEnumerable<string> subscriptionFilters) =>
        subscriptionFilters.Where(f => (Targets(f) & FilterTargets.MessageContent) != 0);

    /// <summary>True when an item's <c>content-filters</c> equal the subscription's MessageContent filters.</summary>
    public static bool ContentFiltersMatch(IEnumerable<string> subscriptionFilters, IReadOnlyList<string> itemFilters)
    {
        var n = 0;
        foreach (var f in ContentFilterNames(subscriptionFilters))
        {
            if (n >= itemFilters.Count || itemFilters[n] != f)
            {
                return false;
            }
            n++;
        }
        return n == itemFilters.Count;
    }

    private static bool SkipSelf(FilterContext ctx)
    {
        var user = ctx.SubscriptionMeta.GetValueOrDefault("user");
        var sender = ctx.PublishMeta.GetValueOrDefault("sender");
        return !string.IsNullOrEmpty(user) && !string.IsNullOrEmpty(sender) && sender == user;
    }

    private static bool SkipUsers(FilterContext ctx)
    {
        var user = ctx.SubscriptionMeta.GetValueOrDefault("user");
        if (string.IsNullOrEmpty(user))
        {
            return false;
        }
        var list = ctx.PublishMeta.GetValueOrDefault("skip_users");
        if (list is null)
        {
            return false;
        }
        foreach (var part in list.Split(','))
        {
            if (part.Trim() == user)
            {
                return true;
            }
        }
        return false;
    }

    // The publisher names a channel (unprefixed) the receiver must also be subscribed to.
    private static bool RequireSubMissing(FilterContext ctx)
    {
        var required = ctx.PublishMeta.GetValueOrDefault("require_sub");
        return !string.IsNullOrEmpty(required) && !ctx.PrevIds.ContainsKey(required);
    }

    private static byte[]? VarSubst(FilterContext ctx, byte[] content, out string? error) =>
        ContentFormat.Process(content, VariableDirective(name => ctx.SubscriptionMeta.GetValueOrDefault(name)), out error);

    // %(name)s: the named variable, or an error naming it (var-subst and id_format share it).
    private static ContentFormat.DirectiveHandler VariableDirective(Func<string, string?> lookup) =>
        (char type, byte[]? arg, out string? e) =>
        {
            e = null;
            if (type != 's')
            {
                e = $"Unknown directive '{type}'";
                return null;
            }
            if (arg is null)
            {
                e = "Directive 's' requires argument";
                return null;
            }
            var name = Encoding.UTF8.GetString(arg);
            if (lookup(name) is not { } value)
            {
                e = $"No such variable '{name}'";
                return null;
            }
            return Encoding.UTF8.GetBytes(value);
        };

    // Renders sub meta id_format (with %(channel)s = that channel's prev-id) to the default id,
    // then replaces %I / %(literal)I in the content, hex-encoded with id_encoding=hex.
    private static byte[]? BuildId(FilterContext ctx, byte[] content, out string? error)
    {
        if (!ctx.SubscriptionMeta.TryGetValue("id_format", out var idFormat))
        {
            error = "no sub meta 'id_format'";
            return null;
        }
        byte[]? defaultId = null;
        if (ctx.PrevIds.Count > 0)
        {
            defaultId = ContentFormat.Process(Encoding.UTF8.GetBytes(idFormat), VariableDirective(name => ctx.PrevIds.GetValueOrDefault(name)), out var renderError);
            if (defaultId is null)
            {
                error = $"failed to render ID: {renderError}";
                return null;
            }
        }
        var hex = false;
        if (ctx.SubscriptionMeta.TryGetValue("id_encoding", out var encoding))
        {
            if (encoding != "hex")
            {
                error = $"unsupported encoding: {encoding}";
                return null;
            }
            hex = true;
        }
        return ContentFormat.Process(content, (char type, byte[]? arg, out string? e) =>
        {
            e = null;
            if (type != 'I')
            {
                e = $"Unknown directive '{type}'";
                return null;
            }
            var id = arg ?? defaultId;
            if (id is null)
            {
                e = "No ID specified and no default ID in context";
                return null;
            }
            return hex ? Encoding.ASCII.GetBytes(Convert.ToHexStringLower(id)) : id;
        }, out error);
    }
}
