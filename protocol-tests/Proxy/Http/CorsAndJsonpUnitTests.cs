using System.Text;
using NUnit.Framework;
using Pushpin.Common.Http;
using Pushpin.Common.Zhttp;
using Pushpin.Proxy.Http;
using Pushpin.Proxy.Routing;

namespace Pushpin.ProtocolTests.Proxy.Http;

/// <summary>Auto cross-origin and JSON-P rules (behavior.md §11.1).</summary>
public sealed class CorsAndJsonpUnitTests
{
    private static RequestUri Uri(string s) => RequestUri.TryParse(s, out var u) ? u! : throw new ArgumentException(s);

    [Test]
    public void Cors_headers_are_added_from_the_request_unless_the_backend_set_them()
    {
        List<HttpHeader> response = [new("Content-Type", "text/plain"), new("Server", "b"), new("Date", "d"), new("Grip-X", "1"), new("Access-Control-Max-Age", "10")];
        CorsHeaders.Apply<HttpHeader, HttpHeaderShape>([new("Origin", "http://a.example"), new("Access-Control-Request-Method", "PUT"), new("Access-Control-Request-Headers", "X-A")], response);
        Assert.Multiple(() =>
        {
            Assert.That(response.Single(h => h.Is("Access-Control-Allow-Methods")).Value, Is.EqualTo("PUT"));
            Assert.That(response.Single(h => h.Is("Access-Control-Allow-Headers")).Value, Is.EqualTo("X-A"));
            Assert.That(response.Single(h => h.Is("Access-Control-Expose-Headers")).Value, Is.EqualTo("Server, Date"));
            Assert.That(response.Single(h => h.Is("Access-Control-Allow-Credentials")).Value, Is.EqualTo("true"));
            Assert.That(response.Single(h => h.Is("Access-Control-Allow-Origin")).Value, Is.EqualTo("http://a.example"));
            Assert.That(response.Single(h => h.Is("Access-Control-Max-Age")).Value, Is.EqualTo("10"), "the backend's value stays");
        });
    }

    [Test]
    public void Cors_defaults_without_request_hints()
    {
        List<HttpHeader> response = [];
        CorsHeaders.Apply<HttpHeader, HttpHeaderShape>([], response);
        Assert.Multiple(() =>
        {
            Assert.That(response.Single(h => h.Is("Access-Control-Allow-Methods")).Value, Is.EqualTo("OPTIONS, HEAD, GET, POST, PUT, DELETE"));
            Assert.That(response.Single(h => h.Is("Access-Control-Allow-Origin")).Value, Is.EqualTo("*"));
            Assert.That(response.Single(h => h.Is("Access-Control-Max-Age")).Value, Is.EqualTo("3600"));
            Assert.That(response.Any(h => h.Is("Access-Control-Allow-Headers")), Is.False);
        });
    }

    [Test]
    public void Proxy_and_handler_header_lists_get_the_same_cors_headers_with_request_headers_split()
    {
        (string, string)[] request = [("Origin", "http://o"), ("Access-Control-Request-Headers", "X-A,X-B"), ("Access-Control-Request-Headers", " X-C ")];
        List<HttpHeader> proxy = [new("X-Backend", "1")];
        List<KeyValuePair<string, string>> handler = [new("X-Backend", "1")];
        CorsHeaders.Apply<HttpHeader, HttpHeaderShape>([.. request.Select(h => new HttpHeader(h.Item1, h.Item2))], proxy);
        CorsHeaders.Apply<KeyValuePair<string, string>, KeyValueHeaderShape>([.. request.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2))], handler);
        Assert.Multiple(() =>
        {
            Assert.That(proxy.Select(h => h.Name + ": " + h.Value), Is.EqualTo(handler.Select(h => h.Key + ": " + h.Value)));
            Assert.That(proxy.Single(h => h.Is("Access-Control-Allow-Headers")).Value, Is.EqualTo("X-A, X-B, X-C"));
        });
    }

    [TestCase("POST", "/x?callback=cb")]
    [TestCase("GET", "/x")]
    [TestCase("GET", "/x?body=1")]
    public void Jsonp_does_not_apply(string method, string path)
    {
        var r = JsonpRequest.TryCreate(new JsonpConfig(), method, Uri("http://h.example" + path), [], out var error);
        Assert.That((r, error), Is.EqualTo(((JsonpRequest?)null, (string?)null)));
    }

    [TestCase("/x?callback=", "Invalid callback parameter.")]
    [TestCase("/x?callback=cb&_method=P%20T", "Invalid _method parameter.")]
    [TestCase("/x?callback=cb&_headers=%5B1%5D", "Invalid _headers parameter.")]
    [TestCase("/x?callback=cb&_headers=%7B%22a%22%3A1%7D", "Invalid _headers parameter.")]
    [TestCase("/x?callback=cb&_body=%zz", "Invalid _body parameter.")]
    public void Jsonp_parameter_errors(string path, string expected)
    {
        var r = JsonpRequest.TryCreate(new JsonpConfig(), "GET", Uri("http://h.example" + path), [], out var error);
        Assert.That((r, error), Is.EqualTo(((JsonpRequest?)null, expected)));
    }

    [Test]
    public void Jsonp_request_takes_method_headers_and_body_from_the_query()
    {
        var r = JsonpRequest.TryCreate(new JsonpConfig(), "GET", Uri("http://h.example:8080/x?a=1&callback=f&_method=POST&_headers=%7B%22X-A%22%3A%22v%22%2C%22Host%22%3A%22no%22%7D&_body=hi"), [new("Host", "h.example:8080"), new("Accept", "text/html"), new("User-Agent", "u")], out var error);
        Assert.That(error, Is.Null);
        Assert.Multiple(() =>
        {
            Assert.That(r!.Method, Is.EqualTo("POST"));
            Assert.That(r.Uri.ToString(), Is.EqualTo("http://h.example:8080/x?a=1"));
            Assert.That(r.Callback, Is.EqualTo("f"));
            Assert.That(r.Extended, Is.True);
            Assert.That(Encoding.UTF8.GetString(r.Body), Is.EqualTo("hi"));
            Assert.That(r.Headers.Select(h => h.Name + ": " + h.Value), Is.EqualTo(new[] { "X-A: v", "Host: h.example:8080", "Accept: */*", "User-Agent: u" }));
        });
    }

    [Test]
    public void Jsonp_default_callback_with_body_param_posts_json_in_basic_mode()
    {
        var config = new JsonpConfig { Basic = true, BodyParam = "data", DefaultCallback = "dcb", DefaultMethod = "POST" };
        var r = JsonpRequest.TryCreate(config, "GET", Uri("http://h.example/x?data=%7B%7D"), [], out _);
        Assert.Multiple(() =>
        {
            Assert.That((r!.Method, r.Callback, r.Extended), Is.EqualTo(("POST", "dcb", false)));
            Assert.That(r.Uri.Query, Is.Empty, "an empty query drops the ?");
            Assert.That(r.Headers.Single(h => h.Is("Content-Type")).Value, Is.EqualTo("application/json"));
            Assert.That(Encoding.UTF8.GetString(r.Body), Is.EqualTo("{}"));
        });
    }

    [Test]
    public void Jsonp_extended_wraps_status_headers_and_body()
    {
        var e = new JsonpEncoder("cb", extended: true);
        var start = e.Start(404, "Not Found", [new("X-B", "2"), new("Content-Type", "text/plain"), new("X-B", "3"), new("Cache-Control", "no-cache")], out var outer);
        var text = Encoding.UTF8.GetString(start) + Encoding.UTF8.GetString(e.Body("say \"hi\"\n"u8)) + Encoding.UTF8.GetString(e.End());
        Assert.Multiple(() =>
        {
            Assert.That(text, Is.EqualTo("/**/cb({\"code\": 404, \"reason\": \"Not Found\", \"headers\": {\"Cache-Control\": \"no-cache\", \"Content-Type\": \"text/plain\", \"X-B\": \"2\"}, \"body\": \"say \\\"hi\\\"\\n\"});\n"));
            Assert.That(outer.Select(h => h.Name + ": " + h.Value), Is.EqualTo(new[] { "Content-Type: application/javascript", "Cache-Control: no-cache" }));
        });
    }

    [Test]
    public void Jsonp_basic_drops_only_the_final_trailing_newline()
    {
        var e = new JsonpEncoder("cb", extended: false);
        var text = Encoding.UTF8.GetString(e.Start(200, "OK", [], out _)) + Encoding.UTF8.GetString(e.Body("[1,\n"u8)) + Encoding.UTF8.GetString(e.Body("2]\r\n"u8)) + Encoding.UTF8.GetString(e.End());
        Assert.That(text, Is.EqualTo("/**/cb([1,\n2]);\n"));
    }
}
