using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Pushpin.Proxy.WebSockets;

/// <summary>One decoded event: its type and content (a slice of the decoded body, no copy).</summary>
/// <param name="HasContent">False for the bare <c>TYPE\r\n</c> form; true even for <c>TYPE 0</c>.</param>
/// <param name="Name">The type name as written, for logging unknown types.</param>
internal readonly record struct WebSocketEvent(WebSocketEventType Type, ReadOnlySequence<byte> Content, bool HasContent, string Name)
{
    /// <summary>For CLOSE: the code, or null when the content is shorter than 2 bytes.</summary>
    public int? CloseCode
    {
        get
        {
            if (Type != WebSocketEventType.Close || Content.Length < 2)
            {
                return null;
            }

            Span<byte> two = stackalloc byte[2];
            Content.Slice(0, 2).CopyTo(two);
            return BinaryPrimitives.ReadUInt16BigEndian(two);
        }
    }

    /// <summary>For CLOSE: the reason after the code (invalid UTF-8 replaced, as upstream's fromUtf8).</summary>
    public string CloseReason =>
        Type == WebSocketEventType.Close && Content.Length > 2 ? Encoding.UTF8.GetString(Content.Slice(2)) : string.Empty;

    public byte[] ContentToArray() => Content.ToArray();
}
