using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Pushpin.LoadGen;

/// <summary>
/// Publishes over the HTTP API. Each message's content carries its sequence number and the
/// publish timestamp (<see cref="Stopwatch.GetTimestamp"/>) so subscribers in this process
/// measure publish-to-delivery latency.
/// </summary>
public sealed class Publisher : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _uri;

    public Publisher(Uri publishApi)
    {
        _uri = publishApi;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public static string Content(long seq) =>
        string.Create(CultureInfo.InvariantCulture, $"m {seq} {Stopwatch.GetTimestamp()}\n");

    /// <summary>Publishes one http-stream (and http-response) item per channel in one request.</summary>
    public async Task PublishAsync(IReadOnlyList<string> channels, long seq, CancellationToken ct)
    {
        var sb = new StringBuilder("{\"items\":[");
        for (var i = 0; i < channels.Count; i++)
        {
            var content = Content(seq);
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append("{\"channel\":\"").Append(channels[i]).Append("\",\"formats\":{\"http-stream\":{\"content\":\"")
              .Append(content.TrimEnd('\n')).Append("\\n\"},\"http-response\":{\"body\":\"").Append(content.TrimEnd('\n')).Append("\\n\"}}}");
        }
        sb.Append("]}");
        using var body = new StringContent(sb.ToString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(_uri, body, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"publish failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
        }
    }

    public void Dispose() => _http.Dispose();
}
