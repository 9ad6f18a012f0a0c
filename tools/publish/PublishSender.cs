using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.TNetStrings;

namespace Pushpin.Publish;

/// <summary>Delivers one item to a GRIP publish URL (HTTP API) or a ZeroMQ PUSH spec.</summary>
public static class PublishSender
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Returns null on success, else the error text to print after "Error: ".</summary>
    public static async Task<string?> SendAsync(string spec, PublishRequest request, (string Scheme, string Value)? auth)
    {
        if (spec.StartsWith("http:", StringComparison.Ordinal) || spec.StartsWith("https:", StringComparison.Ordinal))
        {
            return await SendHttpAsync(spec, request, auth).ConfigureAwait(false);
        }
        return SendZmq(spec, request);
    }

    private static async Task<string?> SendHttpAsync(string spec, PublishRequest request, (string Scheme, string Value)? auth)
    {
        if (!Uri.TryCreate(spec + "/publish/", UriKind.Absolute, out var uri))
        {
            return "invalid URL";
        }
        if (auth is not null && uri.Scheme != Uri.UriSchemeHttps)
        {
            return "Authentication requires https";
        }
        var body = new JsonObject { ["items"] = new JsonArray(PublishItemBuilder.ToJson(request)) }.ToJsonString();
        using var http = new HttpClient { Timeout = Timeout };
        using var message = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (auth is { } a)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue(a.Scheme, a.Value);
        }
        try
        {
            using var response = await http.SendAsync(message).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.OK)
            {
                return null;
            }
            var text = (await response.Content.ReadAsStringAsync().ConfigureAwait(false)).Trim();
            return text.Length > 0 ? text : response.ReasonPhrase ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException ex)
        {
            return ex.Message;
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }

    private static string? SendZmq(string spec, PublishRequest request)
    {
        var payload = TnetString.Encode(PublishItemBuilder.ToValues(request));
        try
        {
            using (var push = new PushSocket())
            {
                // Wait for the message to leave before the socket closes.
                push.Options.Linger = Timeout;
                push.Connect(spec);
                if (!push.TrySendFrame(Timeout, payload))
                {
                    return $"could not deliver to {spec}";
                }
            }
            NetMQConfig.Cleanup(block: true);
            return null;
        }
        catch (NetMQException ex)
        {
            return ex.Message;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }
}
