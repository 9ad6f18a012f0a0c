namespace Pushpin.Common.Http;

/// <summary>
/// Auto cross-origin response headers (behavior.md §11.1, upstream <c>Cors::applyCorsHeaders</c>),
/// one implementation for the proxy and the handler: each header is added only when the response
/// does not carry it already.
/// </summary>
public static class CorsHeaders
{
    private static readonly string[] SimpleHeaders =
        ["Cache-Control", "Content-Language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma"];

    public static void Apply<T, TShape>(IReadOnlyList<T> request, List<T> response)
        where TShape : IHeaderShape<T>
    {
        if (!Has<T, TShape>(response, "Access-Control-Allow-Methods"))
        {
            var method = First<T, TShape>(request, "Access-Control-Request-Method");
            response.Add(TShape.Create("Access-Control-Allow-Methods", string.IsNullOrEmpty(method) ? "OPTIONS, HEAD, GET, POST, PUT, DELETE" : method));
        }
        if (!Has<T, TShape>(response, "Access-Control-Allow-Headers"))
        {
            // Comma-separated values are split and trimmed, as upstream's getAll(split).
            var allow = new List<string>();
            foreach (var h in request)
            {
                if (Is<T, TShape>(h, "Access-Control-Request-Headers"))
                {
                    allow.AddRange(TShape.Value(h).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                }
            }
            if (allow.Count > 0)
            {
                response.Add(TShape.Create("Access-Control-Allow-Headers", string.Join(", ", allow)));
            }
        }
        if (!Has<T, TShape>(response, "Access-Control-Expose-Headers"))
        {
            var expose = new List<string>();
            foreach (var h in response)
            {
                var name = TShape.Name(h);
                if (!Array.Exists(SimpleHeaders, s => s.Equals(name, StringComparison.OrdinalIgnoreCase)) &&
                    !name.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase) &&
                    !name.StartsWith("Grip-", StringComparison.OrdinalIgnoreCase) &&
                    !expose.Exists(e => e.Equals(name, StringComparison.OrdinalIgnoreCase)))
                {
                    expose.Add(name);
                }
            }
            if (expose.Count > 0)
            {
                response.Add(TShape.Create("Access-Control-Expose-Headers", string.Join(", ", expose)));
            }
        }
        if (!Has<T, TShape>(response, "Access-Control-Allow-Credentials"))
        {
            response.Add(TShape.Create("Access-Control-Allow-Credentials", "true"));
        }
        if (!Has<T, TShape>(response, "Access-Control-Allow-Origin"))
        {
            var origin = First<T, TShape>(request, "Origin");
            response.Add(TShape.Create("Access-Control-Allow-Origin", string.IsNullOrEmpty(origin) ? "*" : origin));
        }
        if (!Has<T, TShape>(response, "Access-Control-Max-Age"))
        {
            response.Add(TShape.Create("Access-Control-Max-Age", "3600"));
        }
    }

    private static bool Is<T, TShape>(T header, string name)
        where TShape : IHeaderShape<T> =>
        string.Equals(TShape.Name(header), name, StringComparison.OrdinalIgnoreCase);

    private static bool Has<T, TShape>(List<T> headers, string name)
        where TShape : IHeaderShape<T>
    {
        foreach (var h in headers)
        {
            if (Is<T, TShape>(h, name))
            {
                return true;
            }
        }
        return false;
    }

    private static string? First<T, TShape>(IReadOnlyList<T> headers, string name)
        where TShape : IHeaderShape<T>
    {
        foreach (var h in headers)
        {
            if (Is<T, TShape>(h, name))
            {
                return TShape.Value(h);
            }
        }
        return null;
    }
}
