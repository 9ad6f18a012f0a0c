using System.CommandLine;
using System.Net;
using Pushpin.LoadGen.Scenarios;

namespace Pushpin.LoadGen;

/// <summary>
/// <c>pushpin-loadgen</c>: load scenarios against any Pushpin-compatible server, chosen by
/// ports (<c>--client</c>, <c>--publish</c>), so one run can measure Debian's Pushpin and ours.
/// The built-in GRIP backend (<c>--backend-port</c>) must be what the server's routes point at.
/// Each result is one printed line plus one JSON line appended to <c>--json</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var name = new Option<string>("--name") { Description = "Label of the target in the results", DefaultValueFactory = _ => "target" };
        var client = new Option<string>("--client") { Description = "Client HTTP endpoint of the server", DefaultValueFactory = _ => "127.0.0.1:7999" };
        var publish = new Option<string>("--publish") { Description = "Publish API URL", DefaultValueFactory = _ => "http://127.0.0.1:5561/publish/" };
        var procs = new Option<string>("--procs") { Description = "Comma list of command-line substrings of the server's processes (for RSS)", DefaultValueFactory = _ => "pushpin-connmgr,pushpin-proxy,pushpin-handler" };
        var serverPid = new Option<int>("--server-pid") { Description = "Count only this process and its descendants for RSS and CPU (0 = every process matching --procs)", DefaultValueFactory = _ => 0 };
        var sources = new Option<int>("--sources") { Description = "Number of loopback source addresses (127.0.0.1..N) to spread connections over", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "Append results as JSON lines to this file" };
        var backendPort = new Option<int>("--backend-port") { Description = "Run the built-in GRIP backend on this port (0 = none)", DefaultValueFactory = _ => 0 };
        var connections = new Option<int>("--connections", "-c") { Description = "Connections / subscribers / clients", DefaultValueFactory = _ => 100 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds (timed scenarios)", DefaultValueFactory = _ => 10 };
        var messages = new Option<int>("--messages", "-m") { Description = "Messages per channel", DefaultValueFactory = _ => 100 };
        var channels = new Option<int>("--channels") { Description = "Channels (fanout: 1)", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Items per publish request", DefaultValueFactory = _ => 100 };
        var publishers = new Option<int>("--publishers") { Description = "Concurrent publish requests", DefaultValueFactory = _ => 4 };
        var path = new Option<string>("--path") { Description = "Request path (proxy scenario)", DefaultValueFactory = _ => "/hello" };
        var zmq = new Option<string?>("--zmq") { Description = "fanout: publish over ZeroMQ PUSH to this spec (e.g. tcp://127.0.0.1:5560) instead of HTTP" };
        var burst = new Option<int>("--burst") { Description = "fanout --zmq: messages per burst", DefaultValueFactory = _ => 200 };
        var hold = new Option<double>("--hold") { Description = "Seconds to keep holds open after measuring (hold scenario)", DefaultValueFactory = _ => 0 };

        var root = new RootCommand("Load scenarios for Pushpin-compatible servers");
        foreach (var o in new Option[] { name, client, publish, procs, serverPid, sources, json, backendPort })
        {
            o.Recursive = true;
            root.Options.Add(o);
        }

        Target TargetOf(ParseResult r)
        {
            ProcessMetrics.RootPid = r.GetValue(serverPid);
            return new(
                r.GetValue(name)!, IPEndPoint.Parse(r.GetValue(client)!), new Uri(r.GetValue(publish)!),
                r.GetValue(procs)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), r.GetValue(sources));
        }

        async Task<int> WithBackend(ParseResult r, Func<Target, ResultWriter, Task> run)
        {
            var port = r.GetValue(backendPort);
            await using var backend = port > 0 ? await GripBackend.StartAsync(port).ConfigureAwait(false) : null;
            var target = TargetOf(r);
            await run(target, new ResultWriter(r.GetValue(json), target.Name)).ConfigureAwait(false);
            return 0;
        }

        var warmup = new Option<double>("--warmup") { Description = "proxy: seconds of the same load before measuring (results dropped)", DefaultValueFactory = _ => 0 };
        var proxyCmd = new Command("proxy", "Plain GETs through the proxy: req/s, p50/p99") { connections, duration, path, warmup };
        proxyCmd.SetAction((r, ct) => WithBackend(r, async (t, w) =>
            w.Write("proxy", await ProxyScenario.RunAsync(t.Client, r.GetValue(path)!, r.GetValue(connections), TimeSpan.FromSeconds(r.GetValue(duration)), ct, t.ProcessPatterns, TimeSpan.FromSeconds(r.GetValue(warmup))).ConfigureAwait(false))));

        var holdWarmup = new Option<int>("--warmup-holds") { Description = "hold: open and close this many holds first (unmeasured: JIT, pools, one-time buffers)", DefaultValueFactory = _ => 0 };
        var holdCmd = new Command("hold", "Open N idle stream holds: establish rate and bytes per held connection") { connections, hold, holdWarmup };
        holdCmd.SetAction((r, ct) => WithBackend(r, async (t, w) =>
        {
            if (r.GetValue(holdWarmup) is > 0 and var n)
            {
                var (_, warm) = await HoldScenario.RunAsync(t, "/stream/warm", n, 100, ct).ConfigureAwait(false);
                foreach (var c in warm)
                {
                    await c.DisposeAsync().ConfigureAwait(false);
                }
                // Let the server notice the closes before the measured round reads its RSS.
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            }
            var (result, open) = await HoldScenario.RunAsync(t, "/stream/hold", r.GetValue(connections), 100, ct).ConfigureAwait(false);
            result["warmup_holds"] = r.GetValue(holdWarmup);
            w.Write("hold", result);
            if (r.GetValue(hold) > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(r.GetValue(hold)), ct).ConfigureAwait(false);
            }
            foreach (var c in open)
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }));

        var idleMode = new Option<string>("--mode") { Description = "idle: none (connect only), partial (half a request head) or keepalive (one complete GET first)", DefaultValueFactory = _ => "none" };
        var settle = new Option<double>("--settle") { Description = "idle: seconds to wait after the last connect before reading RSS", DefaultValueFactory = _ => 3 };
        var idleCmd = new Command("idle", "Open N idle raw TCP connections to the client port: bytes of server RSS per connection") { connections, idleMode, path, settle, hold };
        idleCmd.SetAction((r, ct) => WithBackend(r, async (t, w) =>
        {
            var mode = r.GetValue(idleMode)!;
            var (result, open) = await IdleScenario.RunAsync(t, mode, r.GetValue(path)!, r.GetValue(connections), 200, TimeSpan.FromSeconds(r.GetValue(settle)), ct).ConfigureAwait(false);
            w.Write("idle-" + mode, result);
            if (r.GetValue(hold) > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(r.GetValue(hold)), ct).ConfigureAwait(false);
            }
            foreach (var c in open)
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }));

        var fanoutCmd = new Command("fanout", "S subscribers on one channel, M messages: deliveries/s, latency") { connections, messages, publishers, zmq, burst };
        fanoutCmd.SetAction((r, ct) => WithBackend(r, async (t, w) =>
        {
            // A small unmeasured round first compiles the client's whole path (subscribe, read, publish).
            await FanoutScenario.RunAsync(t, "fanw", 50, 1, 4, 1, r.GetValue(publishers), ct, r.GetValue(zmq), r.GetValue(burst)).ConfigureAwait(false);
            w.Write(r.GetValue(zmq) is null ? "fanout" : "fanout-zmq", await FanoutScenario.RunAsync(
                t, "fan", r.GetValue(connections), 1, r.GetValue(messages), 1, r.GetValue(publishers), ct, r.GetValue(zmq), r.GetValue(burst)).ConfigureAwait(false));
        }));

        var manyCmd = new Command("manychan", "C connections each on its own channel, one message each: msgs/s") { connections, batch, publishers, messages };
        manyCmd.SetAction((r, ct) => WithBackend(r, async (t, w) =>
        {
            await FanoutScenario.RunAsync(t, "manyw", 200, 200, r.GetValue(messages), r.GetValue(batch), r.GetValue(publishers), ct).ConfigureAwait(false);
            w.Write("manychan", await FanoutScenario.RunAsync(t, "many", r.GetValue(connections), r.GetValue(connections), r.GetValue(messages), r.GetValue(batch), r.GetValue(publishers), ct).ConfigureAwait(false));
        }));

        var longpollCmd = new Command("longpoll", "R clients in a publish / re-poll loop: cycles/s") { connections, duration, batch };
        longpollCmd.SetAction((r, ct) => WithBackend(r, async (t, w) =>
            w.Write("longpoll", await LongPollScenario.RunAsync(t, r.GetValue(connections), TimeSpan.FromSeconds(r.GetValue(duration)), r.GetValue(batch), ct).ConfigureAwait(false))));

        var wohCmd = new Command("wsoverhttp", "N WebSocket clients echoing through WebSocket-over-HTTP (/woh → backend, over_http): round trips/s") { connections, duration };
        wohCmd.SetAction((r, ct) => WithBackend(r, async (t, w) =>
            w.Write("wsoverhttp", await WsOverHttpScenario.RunAsync(t, r.GetValue(connections), TimeSpan.FromSeconds(r.GetValue(duration)), ct).ConfigureAwait(false))));

        var wsRawCmd = new Command("wsraw", "N WebSocket clients echoing through raw WebSocket proxying (/wsraw → backend): round trips/s, messages/s") { connections, duration };
        wsRawCmd.SetAction((r, ct) => WithBackend(r, async (t, w) =>
            w.Write("wsraw", await WsRawScenario.RunAsync(t, r.GetValue(connections), TimeSpan.FromSeconds(r.GetValue(duration)), ct).ConfigureAwait(false))));

        var backendCmd = new Command("backend", "Only run the built-in GRIP backend (until Ctrl-C)");
        backendCmd.SetAction(async (r, ct) =>
        {
            await using var backend = await GripBackend.StartAsync(r.GetValue(backendPort)).ConfigureAwait(false);
            Console.WriteLine($"backend on 127.0.0.1:{backend.Port}");
            await backend.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return 0;
        });

        root.Subcommands.Add(proxyCmd);
        root.Subcommands.Add(holdCmd);
        root.Subcommands.Add(idleCmd);
        root.Subcommands.Add(fanoutCmd);
        root.Subcommands.Add(manyCmd);
        root.Subcommands.Add(longpollCmd);
        root.Subcommands.Add(wohCmd);
        root.Subcommands.Add(wsRawCmd);
        root.Subcommands.Add(backendCmd);
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
