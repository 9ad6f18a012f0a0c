using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.Handler;

/// <summary>
/// Long-polls re-synced through the backend by the real processes: the handler hands the
/// session back to the proxy (retry packet), the proxy asks the backend again with Grip-Last.
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class RetryEndToEndTests
{
    private static async Task<HttpResponseMessage> PublishAsync(PushpinCluster pushpin, string items)
    {
        using var publisher = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var content = new StringContent($$"""{"items":[{{items}}]}""", Encoding.UTF8, "application/json");
        return await publisher.PostAsync(pushpin.PublishUri, content);
    }

    [Test]
    public async Task Prev_id_gap_retries_the_long_poll_with_grip_last_and_the_client_gets_what_it_missed()
    {
        // First request: hold on "lp" after id 1. The retry carries Grip-Last: lp; last-id=1 and
        // is answered directly with what the client missed.
        await using var backend = await TestBackend.StartAsync(app => app.MapGet("/poll", (HttpContext ctx) =>
        {
            var last = ctx.Request.Headers["Grip-Last"].ToString();
            if (last.Length > 0)
            {
                return Results.Text("missed since " + last + "\n", "text/plain");
            }
            ctx.Response.Headers["Grip-Hold"] = "response";
            ctx.Response.Headers["Grip-Channel"] = "lp; prev-id=1";
            ctx.Response.Headers["Grip-Timeout"] = "30";
            return Results.Text("timed out\n", "text/plain");
        }));
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"], "update_on_first_subscription = false");
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var poll = client.GetStringAsync(new Uri("/poll", UriKind.Relative));

        // Wait until the handler holds it (the channel shows up in the SUB subscriptions via stats
        // would be indirect): publish the gap item until the backend sees the retry.
        await Eventually.TrueAsync(async () =>
        {
            using var r = await PublishAsync(pushpin, """{"channel":"lp","id":"3","prev-id":"2","formats":{"http-response":{"body":"never\n"}}}""");
            lock (backend.Requests)
            {
                return backend.Requests.Count(q => q.PathAndQuery == "/poll") >= 2;
            }
        }, "backend asked again\n" + pushpin.Runner.Output, TimeSpan.FromSeconds(20));

        Assert.That(await poll.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("missed since lp; last-id=1\n"));
        Assert.That(backend.LastRequest.Headers.ContainsKey("Grip-Sig"), Is.True, "the retry is signed like any proxied request");
    }

    [Test]
    public async Task First_subscription_re_requests_the_long_poll_about_a_second_later()
    {
        var calls = 0;
        await using var backend = await TestBackend.StartAsync(app => app.MapGet("/poll", (HttpContext ctx) =>
        {
            var n = Interlocked.Increment(ref calls);
            ctx.Response.Headers["Grip-Hold"] = "response";
            ctx.Response.Headers["Grip-Channel"] = "fresh";
            ctx.Response.Headers["Grip-Timeout"] = "30";
            return Results.Text($"timeout {n}\n", "text/plain");
        }));
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"]);
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var started = DateTime.UtcNow;
        var poll = client.GetAsync(new Uri("/poll", UriKind.Relative));

        await Eventually.TrueAsync(() => Volatile.Read(ref calls) >= 2, "second backend request\n" + pushpin.Runner.Output, TimeSpan.FromSeconds(10));
        var elapsed = DateTime.UtcNow - started;
        Assert.That(elapsed, Is.GreaterThan(TimeSpan.FromSeconds(0.9)));

        // The channel stays subscribed (lingers), so the retried hold is not updated again; a
        // publish now reaches the client.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.That(Volatile.Read(ref calls), Is.EqualTo(2));
        await Eventually.TrueAsync(async () =>
        {
            using var r = await PublishAsync(pushpin, """{"channel":"fresh","formats":{"http-response":{"body":"news\n"}}}""");
            return poll.IsCompleted;
        }, "published item delivered");
        using var response = await poll;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("news\n"));
    }

    [Test]
    public async Task Skip_self_filter_and_set_meta_hold_back_the_senders_own_message_end_to_end()
    {
        await using var backend = await TestBackend.StartAsync(app => app.MapGet("/s/{user}", (HttpContext ctx, string user) =>
        {
            ctx.Response.Headers["Grip-Hold"] = "stream";
            ctx.Response.Headers["Grip-Channel"] = "room; filter=skip-self; filter=var-subst";
            ctx.Response.Headers["Grip-Set-Meta"] = $"user={user}";
            return Results.Text("[open]\n", "text/plain");
        }));
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"]);
        using var client = new HttpClient { BaseAddress = pushpin.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        using var alice = await client.GetAsync(new Uri("/s/alice", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        using var bob = await client.GetAsync(new Uri("/s/bob", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var aliceBody = new StreamReader(await alice.Content.ReadAsStreamAsync());
        var bobBody = new StreamReader(await bob.Content.ReadAsStreamAsync());
        Assert.That(await aliceBody.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("[open]"));
        Assert.That(await bobBody.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("[open]"));

        using (var r = await PublishAsync(pushpin, """{"channel":"room","meta":{"sender":"alice"},"formats":{"http-stream":{"content":"alice says hi to %(user)s\n","content-filters":["var-subst"]}}}"""))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using (var r = await PublishAsync(pushpin, """{"channel":"room","meta":{"sender":"bob"},"formats":{"http-stream":{"content":"bob says hi to %(user)s\n","content-filters":["var-subst"]}}}"""))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        Assert.That(await bobBody.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("alice says hi to bob"));
        Assert.That(await aliceBody.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("bob says hi to alice"), "alice's own message was skipped");
    }
}
