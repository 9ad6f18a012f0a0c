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
}
