namespace Pushpin.Handler.Http;

/// <summary>
/// Auto cross-origin headers (upstream's Cors::applyCorsHeaders): each one added only when the
/// backend did not set it.
/// </summary>
internal static class Cors
{
    private static readonly string[] SimpleHeaders =
        ["Cache-Control", "Content-Language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma"];

    public static void Apply(HeaderList requestHeaders, HeaderList responseHeaders)
    {
        if (!responseHeaders.Contains("Access-Control-Allow-Methods"))
        {
            var method = requestHeaders.Get("Access-Control-Request-Method");
            responseHeaders.Add("Access-Control-Allow-Methods", !string.IsNullOrEmpty(method) ? method : "OPTIONS, HEAD, GET, POST, PUT, DELETE");
        }

        if (!responseHeaders.Contains("Access-Control-Allow-Headers"))
        {
            var allow = requestHeaders.GetAll("Access-Control-Request-Headers").Where(h => h.Length > 0).ToList();
            if (allow.Count > 0)
            {
                responseHeaders.Add("Access-Control-Allow-Headers", string.Join(", ", allow));
            }
        }

        if (!responseHeaders.Contains("Access-Control-Expose-Headers"))
        {
            var expose = new List<string>();
            foreach (var h in responseHeaders)
            {
                if (Array.Exists(SimpleHeaders, s => s.Equals(h.Key, StringComparison.OrdinalIgnoreCase))
                    || h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase)
                    || h.Key.StartsWith("Grip-", StringComparison.OrdinalIgnoreCase)
                    || expose.Exists(e => e.Equals(h.Key, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }
                expose.Add(h.Key);
            }
            if (expose.Count > 0)
            {
                responseHeaders.Add("Access-Control-Expose-Headers", string.Join(", ", expose));
            }
        }

        if (!responseHeaders.Contains("Access-Control-Allow-Credentials"))
        {
            responseHeaders.Add("Access-Control-Allow-Credentials", "true");
        }

        if (!responseHeaders.Contains("Access-Control-Allow-Origin"))
        {
            var origin = requestHeaders.Get("Origin");
            responseHeaders.Add("Access-Control-Allow-Origin", string.IsNullOrEmpty(origin) ? "*" : origin);
        }

        if (!responseHeaders.Contains("Access-Control-Max-Age"))
        {
            responseHeaders.Add("Access-Control-Max-Age", "3600");
        }
    }
}
