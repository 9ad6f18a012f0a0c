using System.CommandLine;
using System.Text;
using System.Text.Json;
using Pushpin.Common.Hosting;

namespace Pushpin.Publish;

/// <summary>
/// <c>pushpin-publish</c>: publish one item to Pushpin, over the HTTP API (default
/// <c>$GRIP_URL</c> or http://localhost:5561) or a ZeroMQ PUSH spec. Prints <c>Published</c>
/// and exits 0, or prints <c>Error: reason</c> and exits 1, as upstream's tool does.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var channel = new Argument<string>("channel") { Description = "Channel to send to" };
        var content = new Argument<string?>("content")
        {
            Description = "Content for the HTTP body and the WebSocket message (@FILE reads a file, - reads standard input)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var id = new Option<string>("--id") { Description = "Payload ID", DefaultValueFactory = _ => "" };
        var prevId = new Option<string>("--prev-id") { Description = "Previous payload ID", DefaultValueFactory = _ => "" };
        var sender = new Option<string>("--sender") { Description = "Sender meta value", DefaultValueFactory = _ => "" };
        var code = new Option<string>("--code") { Description = "HTTP response code to use", DefaultValueFactory = _ => "200" };
        var header = new Option<string[]>("--header", "-H") { Description = "Add HTTP response header (\"K: V\")" };
        var meta = new Option<string[]>("--meta", "-M") { Description = "Add meta variable (\"K=V\")" };
        var hint = new Option<bool>("--hint") { Description = "Send hint instead of content" };
        var close = new Option<bool>("--close") { Description = "Close streaming and WebSocket connections" };
        var patch = new Option<bool>("--patch") { Description = "Content is JSON patch" };
        var noSeq = new Option<bool>("--no-seq") { Description = "Bypass sequencing buffer" };
        var noEol = new Option<bool>("--no-eol") { Description = "Don't add newline to HTTP payloads" };
        var spec = new Option<string>("--spec")
        {
            Description = "GRIP URL or ZeroMQ PUSH spec",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GRIP_URL") is { Length: > 0 } url ? url : "http://localhost:5561",
        };
        var user = new Option<string?>("--user", "-u") { Description = "Basic authentication (user:pass); requires https" };
        var bearer = new Option<string?>("--bearer", "-B") { Description = "Bearer authentication token; requires https" };

        var root = new RootCommand("Publish messages to Pushpin")
        {
            channel, content, id, prevId, sender, code, header, meta, hint, close, patch, noSeq, noEol, spec, user, bearer,
        };
        ManPageHelp.Apply(root, PublishManPage.Page);
        root.SetAction(async (result, _) =>
        {
            var (request, error) = BuildRequest(
                result.GetValue(channel)!, result.GetValue(content), result.GetValue(id)!, result.GetValue(prevId)!,
                result.GetValue(sender)!, result.GetValue(code)!, result.GetValue(header) ?? [], result.GetValue(meta) ?? [],
                result.GetValue(hint), result.GetValue(close), result.GetValue(patch), result.GetValue(noSeq), result.GetValue(noEol));
            if (error is null)
            {
                (string, string)? auth = result.GetValue(user) is { } u ? ("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(u)))
                    : result.GetValue(bearer) is { } b ? ("Bearer", b) : null;
                error = await PublishSender.SendAsync(result.GetValue(spec)!, request!, auth).ConfigureAwait(false);
            }
            if (error is not null)
            {
                await Console.Error.WriteLineAsync("Error: " + error).ConfigureAwait(false);
                return 1;
            }
            Console.WriteLine("Published");
            return 0;
        });
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    /// <summary>Validates the arguments as upstream does; returns the request or an error message.</summary>
    internal static (PublishRequest? Request, string? Error) BuildRequest(
        string channel, string? content, string id, string prevId, string sender, string codeText,
        string[] headers, string[] meta, bool hint, bool close, bool patch, bool noSeq, bool noEol)
    {
        if (!int.TryParse(codeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) || code > 65535)
        {
            return (null, $"failed to parse code: {codeText}");
        }
        var action = hint ? PublishAction.Hint : close ? PublishAction.Close : PublishAction.Send;
        byte[] httpContent = [];
        byte[] wsContent = [];
        string? patchJson = null;
        if (action == PublishAction.Send)
        {
            if (code > 999)
            {
                return (null, "code must be an integer between 0 and 999");
            }
            if (content is null)
            {
                return (null, "must specify content");
            }
            if (patch)
            {
                try
                {
                    using var doc = JsonDocument.Parse(content);
                    if (doc.RootElement.ValueKind != JsonValueKind.Array)
                    {
                        return (null, "patch content must be a JSON array");
                    }
                }
                catch (JsonException ex)
                {
                    return (null, ex.Message);
                }
                patchJson = content;
            }
            else if (content == "-")
            {
                using var stdin = Console.OpenStandardInput();
                using var buffer = new MemoryStream();
                stdin.CopyTo(buffer);
                wsContent = buffer.ToArray();
                httpContent = noEol ? wsContent : [.. wsContent, (byte)'\n'];
            }
            else if (content.StartsWith('@'))
            {
                var file = content[1..];
                try
                {
                    httpContent = wsContent = File.ReadAllBytes(file);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return (null, $"can't read file {file}: {ex.Message}");
                }
            }
            else
            {
                wsContent = Encoding.UTF8.GetBytes(content);
                httpContent = Encoding.UTF8.GetBytes(noEol ? content : content + "\n");
            }
        }

        var parsedHeaders = new List<KeyValuePair<string, string>>();
        foreach (var h in headers)
        {
            var colon = h.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return (null, "header must be in the form \"name: value\"");
            }
            parsedHeaders.Add(new(h[..colon], h[(colon + 1)..].Trim()));
        }
        var parsedMeta = new List<KeyValuePair<string, string>>();
        foreach (var m in meta)
        {
            var eq = m.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                return (null, "meta must be in the form \"name=value\"");
            }
            parsedMeta.Add(new(m[..eq], m[(eq + 1)..].Trim()));
        }
        return (new PublishRequest
        {
            Channel = channel, Id = id, PrevId = prevId, Sender = sender, Action = action, Code = code,
            HttpContent = httpContent, WsContent = wsContent, PatchJson = patchJson,
            Headers = parsedHeaders, Meta = parsedMeta, NoSeq = noSeq,
        }, null);
    }
}
