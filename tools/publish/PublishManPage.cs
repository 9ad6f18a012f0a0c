using Pushpin.Common.Hosting;

namespace Pushpin.Publish;

/// <summary>The <c>--help</c> text of pushpin-publish.</summary>
internal static class PublishManPage
{
    public static readonly ManPage Page = new()
    {
        Name = "pushpin-publish",
        Summary = "publish one item to Pushpin's channels",
        Synopsis = ["[OPTIONS] CHANNEL [CONTENT]"],
        Description =
        [
            "Sends one publish item to CHANNEL: CONTENT becomes the http-response body, the http-stream chunk and the ws-message text (HTTP payloads get a newline appended unless --no-eol). CONTENT may be @FILE (the file's bytes, no newline added) or - (standard input). Non-UTF-8 content is sent as body-bin/content-bin.",
            "By default the item is POSTed to the HTTP publish API at $GRIP_URL or http://localhost:5561 (/publish/ is appended). A tcp:// spec pushes it as a TNetString to a ZeroMQ PULL socket (the handler's port 5560).",
            "Prints Published and exits 0 on success; prints Error: REASON (the server's reply or a local check) on standard error and exits 1 otherwise.",
        ],
        Options =
        [
            ("--id ID", "Item id."),
            ("--prev-id ID", "Id of the previous item (ordering)."),
            ("--sender S", "Sets meta sender."),
            ("-M, --meta K=V", "Adds a meta value; repeatable."),
            ("--code N", "http-response status code, 0 to 999 (default 200)."),
            ("-H, --header \"K: V\"", "Adds an http-response header; repeatable."),
            ("--hint", "Send action hint in all three formats instead of content."),
            ("--close", "Send action close for http-stream and ws-message."),
            ("--patch", "CONTENT is a JSON Patch array, sent as http-response body-patch."),
            ("--no-seq", "Set no-seq (bypass the sequencing buffer)."),
            ("--no-eol", "Do not append a newline to HTTP payloads."),
            ("--spec URL|SPEC", "http(s):// base URL of the publish API, or a ZeroMQ PUSH spec such as tcp://127.0.0.1:5560 (default $GRIP_URL or http://localhost:5561)."),
            ("-u, --user USER:PASS", "Basic authentication; requires https."),
            ("-B, --bearer TOKEN", "Bearer authentication; requires https."),
            ("-h, --help", "Show this help and exit."),
            ("--version", "Show the version and exit."),
        ],
        ExitStatus =
        [
            ("0", "Published."),
            ("1", "Not published: bad arguments (Error: must specify content, Error: code must be an integer between 0 and 999, ...) or the server refused (Error: followed by its reply)."),
        ],
        Environment = [("GRIP_URL", "Default for --spec.")],
        SeeAlso = ["pushpin-runner(1)", "pushpin-stats(1)", "docs/publishing.md"],
    };
}
