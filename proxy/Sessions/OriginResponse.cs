using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>A complete response (status line, headers, body) built or buffered by the proxy.</summary>
public sealed record OriginResponse(int Code, string Reason, List<HttpHeader> Headers, byte[] Body)
{
    /// <summary>A <c>text/plain</c> error as upstream words them (a trailing newline is added).</summary>
    public static OriginResponse Error(int code, string reason, string message)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(message + "\n");
        return new OriginResponse(code, reason, [new("Content-Type", "text/plain"), new("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))], body);
    }
}
