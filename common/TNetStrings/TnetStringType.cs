namespace Pushpin.Common.TNetStrings;

/// <summary>The type tags of TNetString (internals.md §1.1).</summary>
public enum TnetStringType : byte
{
    ByteString = (byte)',',
    Integer = (byte)'#',
    Float = (byte)'^',
    Boolean = (byte)'!',
    Null = (byte)'~',
    Dictionary = (byte)'}',
    List = (byte)']',
}
