using System.Text;
using Microsoft.Extensions.Logging;
using NetMQ;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// Reads published messages off a ZeroMQ input socket until none is waiting: PULL messages are
/// one frame (the item), SUB messages two (the channel, which overrides the item's, then the
/// item). Valid items go to the callback; garbage costs only its own message (logged, skipped).
/// </summary>
internal sealed partial class PublishMessageReader(NetMQSocket socket, bool topicFrame, Action<PublishItem> onItem, ILogger logger, string input)
{
    private readonly int _parts = topicFrame ? 2 : 1;
    private List<byte[]> _frames = new(2);

    /// <summary>For the socket's ReceiveReady: an exception escaping a poller handler would end the poller thread and silently stop the input.</summary>
    public void ReceiveAll()
    {
        try
        {
            Drain();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.Failed(logger, input, ex);
        }
    }

    private void Drain()
    {
        while (socket.TryReceiveMultipartBytes(TimeSpan.Zero, ref _frames, _parts))
        {
            if (_frames.Count != _parts)
            {
                Log.WrongParts(logger, input, _parts);
                continue;
            }
            if (!PublishInputDecoder.TryDecode(_frames[_parts - 1], out var data, out var error))
            {
                Log.Invalid(logger, input, error);
                continue;
            }
            var channel = topicFrame ? Encoding.UTF8.GetString(_frames[0]) : null;
            if (!PublishItemParser.TryParse(data, channel, out var item, out error))
            {
                Log.InvalidItem(logger, input, error);
                continue;
            }
            onItem(item!);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 523, Level = LogLevel.Error, Message = "IN {Input}: message handling failed, skipping")]
        public static partial void Failed(ILogger logger, string input, Exception ex);

        [LoggerMessage(EventId = 520, Level = LogLevel.Warning, Message = "IN {Input}: received message with parts != {Parts}, skipping")]
        public static partial void WrongParts(ILogger logger, string input, int parts);

        [LoggerMessage(EventId = 521, Level = LogLevel.Warning, Message = "IN {Input}: {Error}, skipping")]
        public static partial void Invalid(ILogger logger, string input, string error);

        [LoggerMessage(EventId = 522, Level = LogLevel.Warning, Message = "IN {Input}: received message with invalid format: {Error}, skipping")]
        public static partial void InvalidItem(ILogger logger, string input, string error);
    }
}
