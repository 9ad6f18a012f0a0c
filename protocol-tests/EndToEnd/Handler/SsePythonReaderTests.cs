using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.EndToEnd.Handler;

/// <summary>
/// Server-Sent Events through the real processes, read by a python EventSource-style reader
/// (urllib, line-based event parsing with "event:", "data:" and comment lines).
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class SsePythonReaderTests
{
    private const string Reader = """
        import sys, urllib.request
        req = urllib.request.Request(sys.argv[1], headers={"Accept": "text/event-stream"})
        resp = urllib.request.urlopen(req, timeout=30)
        print("status %d %s" % (resp.status, resp.headers.get("Content-Type")))
        sys.stdout.flush()
        event, data, seen = "message", [], 0
        for raw in resp:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    print("event %s %s" % (event, "\\n".join(data)))
                    sys.stdout.flush()
                    seen += 1
                    if seen == 2:
                        break
                event, data = "message", []
            elif line.startswith(":"):
                print("comment")
                sys.stdout.flush()
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        """;

    [Test]
    public async Task Python_event_source_reader_gets_published_events_and_keep_alive_comments()
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            Assert.Ignore("python3 not installed");
        }
        await using var backend = await TestBackend.StartAsync(app => app.MapGet("/events", (HttpContext ctx) =>
        {
            ctx.Response.Headers["Grip-Hold"] = "stream";
            ctx.Response.Headers["Grip-Channel"] = "sse";
            ctx.Response.Headers["Grip-Keep-Alive"] = @":\n\n; format=cstring; timeout=1";
            return Results.Text(":ok\n\n", "text/event-stream");
        }));
        await using var pushpin = await PushpinCluster.StartAsync([$"* {backend.Target}"]);
        await using var py = ChildProcess.Start("/usr/bin/python3", ["-c", Reader, new Uri(pushpin.BaseUri, "/events").ToString()]);
        await Eventually.TrueAsync(() => py.Lines.Any(l => l.StartsWith("status ", StringComparison.Ordinal)), "reader connected\n" + py.Output);
        Assert.That(py.Lines.First(l => l.StartsWith("status ", StringComparison.Ordinal)), Is.EqualTo("status 200 text/event-stream"), py.Output);

        // Keep-alive comments arrive while nothing is published.
        await Eventually.TrueAsync(() => py.Lines.Count(l => l == "comment") >= 2, "keep-alive comments\n" + py.Output, TimeSpan.FromSeconds(10));

        using var publisher = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var body in new[] { "event: update\\ndata: one\\n\\n", "data: two\\ndata: lines\\n\\n" })
        {
            using var content = new StringContent("{\"items\":[{\"channel\":\"sse\",\"formats\":{\"http-stream\":{\"content\":\"" + body + "\"}}}]}", Encoding.UTF8, "application/json");
            using var r = await publisher.PostAsync(pushpin.PublishUri, content);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        Assert.That(await py.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(0), py.Output);
        var events = py.Lines.Where(l => l.StartsWith("event ", StringComparison.Ordinal)).ToList();
        Assert.That(events, Has.Count.EqualTo(2), py.Output);
        Assert.That(events[0], Is.EqualTo("event update one"), py.Output);
        Assert.That(events[1], Is.EqualTo(@"event message two\nlines"), "two data lines, joined by the reader");
    }
}
