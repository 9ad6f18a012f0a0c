using Pushpin.Common.Zhttp;

namespace Pushpin.Proxy.Http;

/// <summary>
/// Auto cross-origin response headers (behavior.md §11.1, upstream <c>Cors::applyCorsHeaders</c>):
/// each is added only when the response does not carry it already.
/// </summary>
/// <remarks>
/// The handler has the same rules over its own header type (handler/Http/Cors.cs); this one works
/// on the proxy's <see cref="HttpHeader"/> lists so neither daemon converts headers per response.
/// </remarks>
public static class CorsHeaders
{
    private static readonly string[] SimpleHeaders =
        ["Cache-Control", "Content-Language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma"];

    public static void Apply(IReadOnlyList<HttpHeader> request, List<HttpHeader> response)
    {
        if (!Has(response, "Access-Control-Allow-Methods"))
        {
            var method = First(request, "Access-Control-Request-Method");
            response.Add(new("Access-Control-Allow-Methods", string.IsNullOrEmpty(method) ? "OPTIONS, HEAD, GET, POST, PUT, DELETE" : method));
        }
        if (!Has(response, "Access-Control-Allow-Headers"))
        {
            var allow = request.Where(h => h.Is("Access-Control-Request-Headers") && h.Value.Length > 0).Select(h => h.Value).ToList();
            if (allow.Count > 0)
            {
                response.Add(new("Access-Control-Allow-Headers", string.Join(", ", allow)));
            }
        }
        if (!Has(response, "Access-Control-Expose-Headers"))
        {
            var expose = new List<string>();
            foreach (var h in response)
            {
                if (!Array.Exists(SimpleHeaders, h.Is) &&
                    !h.Name.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase) &&
                    !h.Name.StartsWith("Grip-", StringComparison.OrdinalIgnoreCase) &&
                    !expose.Exists(e => h.Is(e)))
                {
                    expose.Add(h.Name);
                }
            }
            if (expose.Count > 0)
            {
                response.Add(new("Access-Control-Expose-Headers", string.Join(", ", expose)));
            }
        }
        if (!Has(response, "Access-Control-Allow-Credentials"))
        {
            response.Add(new("Access-Control-Allow-Credentials", "true"));
        }
        if (!Has(response, "Access-Control-Allow-Origin"))
        {
            var origin = First(request, "Origin");
            response.Add(new("Access-Control-Allow-Origin", string.IsNullOrEmpty(origin) ? "*" : origin));
        }
        if (!Has(response, "Access-Control-Max-Age"))
        {
            response.Add(new("Access-Control-Max-Age", "3600"));
        }
    }

    private static bool Has(List<HttpHeader> headers, string name) => headers.Exists(h => h.Is(name));

    private static string? First(IReadOnlyList<HttpHeader> headers, string name)
    {
        foreach (var h in headers)
        {
            if (h.Is(name))
            {
                return h.Value;
            }
        }
        return null;
    }
}
