using Pushpin.Common.TNetStrings;
using Pushpin.Handler.Variants;

namespace Pushpin.Handler.Publishing;

/// <summary>
/// Decodes one ZeroMQ publish payload: <c>J</c> + JSON object, <c>T</c> + TNetString, or a bare
/// TNetString. Errors carry upstream's log texts.
/// </summary>
internal static class PublishInputDecoder
{
    public static bool TryDecode(ReadOnlyMemory<byte> message, out object? data, out string error)
    {
        data = null;
        var span = message.Span;
        if (span.Length > 0 && span[0] == (byte)'J')
        {
            if (!JsonVariant.TryParse(message[1..], out var doc))
            {
                error = "received message with invalid format (json parse failed)";
                return false;
            }
            if (doc is not JsonMap)
            {
                error = "received message with invalid format (not a valid json object)";
                return false;
            }
            data = doc;
            error = string.Empty;
            return true;
        }

        var offset = span.Length > 0 && span[0] == (byte)'T' ? 1 : 0;
        try
        {
            data = TnetString.Parse(span[offset..]);
        }
        catch (TnetStringException)
        {
            error = "received message with invalid format (tnetstring parse failed)";
            return false;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or IndexOutOfRangeException or InvalidOperationException)
        {
            // Defensive: garbage must never escape as an exception.
            error = "received message with invalid format (tnetstring parse failed)";
            return false;
        }
        error = string.Empty;
        return true;
    }
}
