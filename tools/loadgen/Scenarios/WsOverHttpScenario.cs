namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// WebSocket-over-HTTP echo: N WebSocket clients each send a message and wait for its echo,
/// in a loop, for a fixed time (the server must route <c>/woh</c> to the built-in backend with
/// <c>over_http</c>, e.g. <c>*,path_beg=/woh 127.0.0.1:PORT,over_http</c>). Round trips/s and latency.
/// </summary>
public static class WsOverHttpScenario
{
    public static Task<Dictionary<string, double>> RunAsync(Target target, int connections, TimeSpan duration, CancellationToken ct) =>
        WsEchoScenario.RunAsync(new Uri($"ws://{target.Client}/woh/echo"), "m:ping-0123456789"u8.ToArray(), connections, duration, ct);
}
