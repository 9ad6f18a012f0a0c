using System.Text;
using NetMQ;
using NetMQ.Sockets;

namespace Pushpin.LoadGen;

/// <summary>
/// Publishes over ZeroMQ PUSH (the handler's <c>push_in_spec</c>, 5560 by default) as
/// <c>J</c>-prefixed JSON items, in bursts: what publishers that bypass HTTP do.
/// </summary>
public sealed class ZmqPublisher : IDisposable
{
    private readonly PushSocket _push = new();

    public ZmqPublisher(string spec)
    {
        // Room for whole bursts; wait for the last ones on dispose.
        _push.Options.SendHighWatermark = 1_000_000;
        _push.Options.Linger = TimeSpan.FromSeconds(30);
        _push.Connect(spec);
    }

    /// <summary>Sends one http-stream item per message; false if the socket would not take one in 10 s.</summary>
    public bool Publish(string channel, long seq)
    {
        var content = Publisher.Content(seq).TrimEnd('\n');
        var item = new StringBuilder(128)
            .Append("J{\"channel\":\"").Append(channel).Append("\",\"formats\":{\"http-stream\":{\"content\":\"")
            .Append(content).Append("\\n\"}}}").ToString();
        return _push.TrySendFrame(TimeSpan.FromSeconds(10), item);
    }

    public void Dispose() => _push.Dispose();
}
