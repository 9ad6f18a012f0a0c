namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// Raw WebSocket proxying: N clients echo through a route without <c>over_http</c> to the built-in
/// backend's WebSocket echo at <c>/wsraw</c> (the catch-all <c>* 127.0.0.1:PORT</c> route does).
/// </summary>
public static class WsRawScenario
{
    public static Task<Dictionary<string, double>> RunAsync(Target target, int connections, TimeSpan duration, CancellationToken ct) =>
        WsEchoScenario.RunAsync(new Uri($"ws://{target.Client}/wsraw/echo"), "ping-0123456789"u8.ToArray(), connections, duration, ct);
}
