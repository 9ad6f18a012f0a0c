using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Sessions;

/// <summary>Decides whether a backend response carries GRIP instructions (behavior.md §1.3).</summary>
public static class GripDetection
{
    public const int MaxInstructBody = 100_000;

    public const int MaxAcceptRequestBody = 100_000;

    /// <summary>True for <c>Content-Type: application/grip-instruct</c> or any <c>Grip-</c> header.</summary>
    public static bool IsInstruct(IReadOnlyList<HttpHeader> headers)
    {
        foreach (var h in headers)
        {
            if (h.Name.StartsWith("Grip-", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            if (h.Is("Content-Type"))
            {
                var semi = h.Value.IndexOf(';', StringComparison.Ordinal);
                var type = (semi == -1 ? h.Value : h.Value[..semi]).Trim();
                if (type.Equals("application/grip-instruct", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// True when a too-large instruct may still be served: a stream hold (<c>Grip-Hold: stream</c>,
    /// or no hold but a <c>rel=next</c> link) with no channel using the <c>build-id</c> filter.
    /// </summary>
    public static bool CanProxyInitialResponse(IReadOnlyList<HttpHeader> headers)
    {
        string? hold = null;
        var nextLink = false;
        foreach (var h in headers)
        {
            if (h.Is("Grip-Hold"))
            {
                hold = h.Value.Trim();
            }
            else if (h.Is("Grip-Link"))
            {
                foreach (var link in h.Value.Split(','))
                {
                    var parts = link.Split(';', StringSplitOptions.TrimEntries);
                    if (parts.Length >= 2 && parts.Skip(1).Any(p => p.Replace(" ", "", StringComparison.Ordinal) is "rel=next" or "rel=\"next\""))
                    {
                        nextLink = true;
                    }
                }
            }
            else if (h.Is("Grip-Channel"))
            {
                foreach (var channel in h.Value.Split(','))
                {
                    var parts = channel.Split(';', StringSplitOptions.TrimEntries);
                    if (parts.Skip(1).Any(p => p.Replace(" ", "", StringComparison.Ordinal) is "filter=build-id" or "filter=\"build-id\""))
                    {
                        return false;
                    }
                }
            }
        }
        return hold == "stream" || (string.IsNullOrEmpty(hold) && nextLink);
    }
}
