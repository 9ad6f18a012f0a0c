using Pushpin.Common.Zhttp;

namespace Pushpin.Connmgr.Server;

/// <summary>
/// One req-mode request waiting for its one response packet (or its deadline, which the
/// server's timer wheel enforces: no Timer per request).
/// </summary>
internal sealed class ReqExchange(string id) : IDisposable
{
    /// <summary>The result when the deadline passed first.</summary>
    public static readonly ZhttpPacket Expired = new() { Type = ZhttpPacketType.Error, Condition = "session-timeout" };

    private readonly TaskCompletionSource<ZhttpPacket> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _timedOut = new();

    public string Id { get; } = id;

    /// <summary>The response packet, an error, or <see cref="Expired"/>.</summary>
    public Task<ZhttpPacket> Response => _response.Task;

    /// <summary>Cancelled when the deadline passes (stops a slow request body read).</summary>
    public CancellationToken TimedOut => _timedOut.Token;

    public void Complete(ZhttpPacket packet) => _response.TrySetResult(packet);

    /// <summary>Called by the wheel at the deadline; harmless once answered or disposed.</summary>
    public void Expire()
    {
        if (!_response.TrySetResult(Expired))
        {
            return;
        }
        try
        {
            _timedOut.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The request finished meanwhile.
        }
    }

    public void Dispose() => _timedOut.Dispose();
}
