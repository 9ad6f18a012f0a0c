using System.Text;

namespace Pushpin.Handler.Http;

/// <summary>
/// Conversions between the Latin-1 "byte string" form used for header names and values and text.
/// </summary>
internal static class Latin1
{
    /// <summary>Header text given as Unicode (JSON input) is sent as its UTF-8 bytes.</summary>
    public static string FromText(string text)
    {
        var allAscii = true;
        foreach (var c in text)
        {
            if (c > 0x7f)
            {
                allAscii = false;
                break;
            }
        }
        return allAscii ? text : Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
    }

    public static string FromBytes(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    public static byte[] ToBytes(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>Decodes a Latin-1 byte string as UTF-8 text (channel names, ids).</summary>
    public static string ToText(string s) => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(s));
}
