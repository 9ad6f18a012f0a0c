using System.Buffers;
using System.Text;
using Pushpin.Connmgr.Http;

namespace Pushpin.ProtocolTests.Connmgr.Http;

[TestFixture]
public sealed class HttpResponseWriterUnitTests
{
    [Test]
    public void Head_is_written_with_headers_in_order()
    {
        var output = new ArrayBufferWriter<byte>();
        HttpResponseWriter.WriteHead(output, 1, 200, "OK", [new("Content-Type", "text/plain"), new("X-a", "\u00e9")]);
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-a: \u00e9\r\n\r\n")));
    }

    [Test]
    public void Chunks_are_framed_in_hex()
    {
        var output = new ArrayBufferWriter<byte>();
        HttpResponseWriter.WriteChunk(output, new ReadOnlySequence<byte>(new byte[26]));
        HttpResponseWriter.WriteChunk(output, ReadOnlySequence<byte>.Empty);
        HttpResponseWriter.WriteLastChunk(output);
        var text = Encoding.Latin1.GetString(output.WrittenSpan);
        Assert.That(text, Is.EqualTo("1a\r\n" + new string('\0', 26) + "\r\n0\r\n\r\n"));
    }

    [Test]
    public void Simple_response_closes_the_connection()
    {
        var output = new ArrayBufferWriter<byte>();
        HttpResponseWriter.WriteSimpleResponse(output, 1, 400, "bad request");
        Assert.That(Encoding.ASCII.GetString(output.WrittenSpan), Is.EqualTo(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nbad request\n"));
    }
}
