using Pushpin.Common.Hosting;

namespace Pushpin.Handler;

/// <summary>pushpin-handler: holds GRIP sessions and delivers published items to them.</summary>
public static class Program
{
    public static int Main(string[] args) =>
        DaemonHost.RunAsync(
            "handler",
            args,
            (ctx, ct) => new HandlerServer(HandlerOptions.FromConfig(ctx.Config), ctx.LoggerFactory).RunAsync(ct))
        .GetAwaiter().GetResult();
}
