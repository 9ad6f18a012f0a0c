using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>Retry packets (internals.md §4.5): the handler hands sessions back to re-run their request.</summary>
public sealed partial class ProxyEngine
{
    private RetryReceiver? _retry;

    private void StartRetrySocket(CancellationToken ct)
    {
        if (_options.HandlerRetryInSpec is null)
        {
            return;
        }
        _retry = new RetryReceiver(_options.HandlerRetryInSpec, _options.InstanceId, _logger);
        _retry.Start();
        var reader = _retry.Packets;
        _tasks.Add(Task.Run(async () =>
        {
            try
            {
                await foreach (var packet in reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    _events.Writer.TryWrite(packet);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }, ct));
    }

    /// <summary>Recreates each session from the state the handler sent and proxies the request again.</summary>
    private void OnRetry(RetryPacket packet)
    {
        foreach (var r in packet.Requests)
        {
            if (_inbound.TryGetValue((r.Sender, r.Id), out var stale))
            {
                // The handler owns the session now; whatever we still had is obsolete.
                Remove(stale);
            }
            var uri = packet.Uri;
            if (r.Https && uri.StartsWith("http://", StringComparison.Ordinal))
            {
                uri = "https://" + uri["http://".Length..];
            }
            var p = new ZhttpPacket
            {
                From = r.Sender,
                Id = r.Id,
                Method = packet.Method,
                Uri = uri,
                Headers = [.. packet.Headers],
                Body = packet.Body,
                RouterResp = r.RouterResp,
                UserData = r.UserData,
                PeerAddress = r.PeerAddress,
                Credits = r.OutCredits,
            };
            StartSession(p, isInternal: false, r, packet);
        }
    }
}
