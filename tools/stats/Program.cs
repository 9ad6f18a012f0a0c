using System.Runtime.InteropServices;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Hosting;
using Pushpin.Common.Stats;

namespace Pushpin.Stats;

/// <summary>
/// pushpin-stats: a live monitor of a Pushpin stats socket (SUB connect), as a refreshing
/// table or, with <c>--raw</c>, one JSON line per message. SIGINT/SIGTERM exit 0.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var commandLine = StatsCommandLine.Parse(args, out var error);
        if (commandLine is null)
        {
            Console.Error.WriteLine($"Error: {error}");
            Console.Error.WriteLine(StatsCommandLine.Usage);
            return 1;
        }
        if (commandLine.Help)
        {
            Console.Write(StatsCommandLine.Page.Render());
            return 0;
        }
        if (commandLine.Version)
        {
            Console.WriteLine(ManPage.VersionLine(StatsCommandLine.Page.Name));
            return 0;
        }
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            stop.Cancel();
        });
        try
        {
            return Run(commandLine, stop.Token);
        }
        finally
        {
            NetMQConfig.Cleanup(block: false);
        }
    }

    private static int Run(StatsCommandLine commandLine, CancellationToken stop)
    {
        using var sub = new SubscriberSocket();
        sub.Options.ReceiveHighWatermark = 200000;
        try
        {
            sub.Connect(commandLine.Spec);
        }
        catch (Exception ex) when (ex is NetMQException or ArgumentException)
        {
            Console.Error.WriteLine($"Error: cannot connect to {commandLine.Spec}: {ex.Message}");
            return 1;
        }
        if (commandLine.Types.Count == 0)
        {
            sub.SubscribeToAnyTopic();
        }
        else
        {
            foreach (var type in commandLine.Types)
            {
                sub.Subscribe(Encoding.ASCII.GetBytes(type + " "));
            }
        }
        Console.Error.WriteLine($"pushpin-stats: watching {commandLine.Spec}");

        var state = new StatsState(DateTimeOffset.UtcNow);
        var nextRender = DateTimeOffset.UtcNow;
        var poll = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            if (sub.TryReceiveFrameBytes(poll, out var frame, out var more))
            {
                // Stats messages are single-frame; skip any extra frames.
                while (more && sub.TryReceiveFrameBytes(TimeSpan.Zero, out _, out more))
                {
                }
                Handle(frame, commandLine.Raw, state);
            }
            if (!commandLine.Raw)
            {
                var now = DateTimeOffset.UtcNow;
                if (now >= nextRender)
                {
                    state.Tick(now);
                    var text = StatsTable.Render(state, now, commandLine.Spec);
                    Console.Out.Write(Console.IsOutputRedirected ? text + "\n" : "\u001b[H\u001b[2J" + text);
                    nextRender = now + commandLine.Interval;
                }
            }
        }
        return 0;
    }

    private static void Handle(byte[] frame, bool raw, StatsState state)
    {
        if (raw)
        {
            if (StatsCodec.TryParseFields(frame, out var type, out var fields, out var error))
            {
                Console.Out.WriteLine(RawLine.Format(type!, fields!));
            }
            else
            {
                Console.Error.WriteLine($"invalid stats frame: {error}");
            }
            return;
        }
        if (StatsCodec.TryDecode(frame, out var packet, out _))
        {
            state.Apply(packet!, DateTimeOffset.UtcNow);
        }
        else
        {
            state.Invalid();
        }
    }
}
