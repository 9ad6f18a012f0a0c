using System.Buffers;
using System.Globalization;

namespace Pushpin.Handler.Filters;

/// <summary>
/// Upstream's <c>%</c> template language: <c>%%</c> is a percent sign, <c>%X</c> and <c>%(arg)X</c>
/// call a directive handler (letters only; <c>\</c> escapes inside the parentheses). Errors name
/// the position as upstream does.
/// </summary>
internal static class ContentFormat
{
    /// <summary>Returns the bytes a directive renders to, or null with an error.</summary>
    public delegate byte[]? DirectiveHandler(char type, byte[]? arg, out string? error);

    public static byte[]? Process(ReadOnlySpan<byte> format, DirectiveHandler handler, out string? error)
    {
        error = null;
        if (format.IndexOf((byte)'%') < 0)
        {
            return format.ToArray();
        }
        var output = new ArrayBufferWriter<byte>(format.Length + 16);
        for (var n = 0; n < format.Length; n++)
        {
            var c = format[n];
            if (c != '%')
            {
                output.Write([c]);
                continue;
            }
            if (n + 1 >= format.Length)
            {
                error = $"Expected directive after '%' at position {n}";
                return null;
            }
            c = format[++n];
            if (c == '(')
            {
                var fieldStart = n;
                if (n + 1 >= format.Length)
                {
                    error = $"Expected character after '(' at position {n}";
                    return null;
                }
                n++;
                var arg = new List<byte>();
                var closed = false;
                for (; n < format.Length; n++)
                {
                    c = format[n];
                    if (c == '\\')
                    {
                        if (n + 1 >= format.Length)
                        {
                            error = $"Expected character after '\\' at position {n}";
                            return null;
                        }
                        arg.Add(format[++n]);
                    }
                    else if (c == ')')
                    {
                        closed = true;
                        break;
                    }
                    else
                    {
                        arg.Add(c);
                    }
                }
                if (!closed)
                {
                    error = $"Unterminated field starting at position {fieldStart}";
                    return null;
                }
                if (n + 1 >= format.Length)
                {
                    error = $"Expected directive after ')' at position {n}";
                    return null;
                }
                c = format[++n];
                if (!Render((char)c, [.. arg], n, handler, output, out error))
                {
                    return null;
                }
            }
            else if (c == '%')
            {
                output.Write([c]);
            }
            else if (char.IsAsciiLetter((char)c))
            {
                if (!Render((char)c, null, n, handler, output, out error))
                {
                    return null;
                }
            }
            else
            {
                error = $"Unknown directive '{(char)c}' at position {n.ToString(CultureInfo.InvariantCulture)}";
                return null;
            }
        }
        return output.WrittenSpan.ToArray();
    }

    private static bool Render(char type, byte[]? arg, int position, DirectiveHandler handler, ArrayBufferWriter<byte> output, out string? error)
    {
        var result = handler(type, arg, out var e);
        if (result is null)
        {
            error = $"{e} at position {position.ToString(CultureInfo.InvariantCulture)}";
            return false;
        }
        output.Write(result);
        error = null;
        return true;
    }
}
