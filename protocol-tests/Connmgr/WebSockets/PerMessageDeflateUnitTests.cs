using System.Buffers;
using System.Text;
using Pushpin.Connmgr.WebSockets;

namespace Pushpin.ProtocolTests.Connmgr.WebSockets;

public sealed class PerMessageDeflateUnitTests
{
    [Test]
    public void Plain_offer_is_accepted()
    {
        var p = PerMessageDeflateNegotiator.Negotiate(["permessage-deflate; client_max_window_bits"]);
        Assert.That(p, Is.Not.Null);
        Assert.That(p!.ToResponseHeader(), Is.EqualTo("permessage-deflate"));
    }

    [Test]
    public void No_context_takeover_requests_are_echoed()
    {
        var p = PerMessageDeflateNegotiator.Negotiate(["permessage-deflate; server_no_context_takeover; client_no_context_takeover"]);
        Assert.That(p!.ToResponseHeader(), Is.EqualTo("permessage-deflate; server_no_context_takeover; client_no_context_takeover"));
    }

    [Test]
    public void Small_server_window_offer_is_declined_and_the_fallback_offer_taken()
    {
        var p = PerMessageDeflateNegotiator.Negotiate(["permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover"]);
        Assert.That(p, Is.EqualTo(new PerMessageDeflateParameters(false, true)));
    }

    [TestCase("permessage-deflate; server_max_window_bits=10")]
    [TestCase("permessage-deflate; client_max_window_bits=16")]
    [TestCase("permessage-deflate; client_max_window_bits=08")]
    [TestCase("permessage-deflate; unknown")]
    [TestCase("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [TestCase("permessage-deflate; server_no_context_takeover=1")]
    [TestCase("x-webkit-deflate-frame")]
    [TestCase("")]
    public void Unacceptable_offers_mean_no_compression(string header) =>
        Assert.That(PerMessageDeflateNegotiator.Negotiate([header]), Is.Null);

    [Test]
    public void Rfc_7692_hello_example_decompresses()
    {
        using var inflater = new PerMessageDeflateDecompressor(noContextTakeover: false);
        var output = new ArrayBufferWriter<byte>();
        Assert.That(inflater.TryDecompress(Convert.FromHexString("f248cdc9c90700"), true, output, 1000, out var n, out _), Is.True);
        Assert.That(Encoding.ASCII.GetString(output.WrittenSpan), Is.EqualTo("Hello"));
        Assert.That(n, Is.EqualTo(5));
    }

    [Test]
    public void Rfc_7692_fragmented_hello_decompresses()
    {
        using var inflater = new PerMessageDeflateDecompressor(noContextTakeover: false);
        var output = new ArrayBufferWriter<byte>();
        Assert.That(inflater.TryDecompress(Convert.FromHexString("f248cd"), false, output, 1000, out _, out _), Is.True);
        Assert.That(inflater.TryDecompress(Convert.FromHexString("c9c90700"), true, output, 1000, out _, out _), Is.True);
        Assert.That(Encoding.ASCII.GetString(output.WrittenSpan), Is.EqualTo("Hello"));
    }

    [Test]
    public void Rfc_7692_second_hello_with_context_takeover_uses_the_window()
    {
        using var inflater = new PerMessageDeflateDecompressor(noContextTakeover: false);
        var output = new ArrayBufferWriter<byte>();
        Assert.That(inflater.TryDecompress(Convert.FromHexString("f248cdc9c90700"), true, output, 1000, out _, out _), Is.True);
        Assert.That(inflater.TryDecompress(Convert.FromHexString("f200110000"), true, output, 1000, out _, out _), Is.True);
        Assert.That(Encoding.ASCII.GetString(output.WrittenSpan), Is.EqualTo("HelloHello"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Messages_round_trip_through_compressor_and_decompressor(bool noContextTakeover)
    {
        using var deflater = new PerMessageDeflateCompressor(noContextTakeover);
        using var inflater = new PerMessageDeflateDecompressor(noContextTakeover);
        var random = new Random(7692);
        foreach (var size in new[] { 0, 1, 5, 100, 20_000, 70_000, 5 })
        {
            var message = new byte[size];
            for (var i = 0; i < size; i++)
            {
                message[i] = (byte)(random.Next(4) + 'a');
            }

            var compressed = new ArrayBufferWriter<byte>();
            deflater.Compress(message, compressed);
            Assert.That(compressed.WrittenSpan.EndsWith(new byte[] { 0, 0, 0xff, 0xff }), Is.False);
            var output = new ArrayBufferWriter<byte>();
            Assert.That(inflater.TryDecompress(compressed.WrittenSpan, true, output, 1 << 20, out _, out var error), Is.True, error.Reason);
            Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(message), $"size {size}");
        }
    }

    [Test]
    public void Compressed_hello_matches_the_rfc_bytes()
    {
        using var deflater = new PerMessageDeflateCompressor(noContextTakeover: true, System.IO.Compression.CompressionLevel.Optimal);
        var compressed = new ArrayBufferWriter<byte>();
        deflater.Compress("Hello"u8, compressed);
        Assert.That(Convert.ToHexString(compressed.WrittenSpan).ToLowerInvariant(), Is.EqualTo("f248cdc9c90700"));
    }

    [Test]
    public void Inflation_past_the_limit_closes_with_1009()
    {
        using var deflater = new PerMessageDeflateCompressor(false);
        var compressed = new ArrayBufferWriter<byte>();
        deflater.Compress(new byte[100_000], compressed);
        using var inflater = new PerMessageDeflateDecompressor(false);
        Assert.That(inflater.TryDecompress(compressed.WrittenSpan, true, new ArrayBufferWriter<byte>(), 10_000, out _, out var error), Is.False);
        Assert.That(error.CloseCode, Is.EqualTo(1009));
    }

    [Test]
    public void Corrupt_data_closes_with_1007_and_the_decompressor_stays_usable()
    {
        using var inflater = new PerMessageDeflateDecompressor(false);
        Assert.That(inflater.TryDecompress([0xFF, 0xFF, 0xFF, 0xFF], true, new ArrayBufferWriter<byte>(), 1000, out _, out var error), Is.False);
        Assert.That(error.CloseCode, Is.EqualTo(1007));
        var output = new ArrayBufferWriter<byte>();
        Assert.That(inflater.TryDecompress(Convert.FromHexString("f248cdc9c90700"), true, output, 1000, out _, out _), Is.True);
        Assert.That(Encoding.ASCII.GetString(output.WrittenSpan), Is.EqualTo("Hello"));
    }

    [Test]
    public void Client_mode_reads_the_server_answer()
    {
        Assert.That(PerMessageDeflateNegotiator.TryReadResponse([], out var none), Is.True);
        Assert.That(none, Is.Null);
        Assert.That(PerMessageDeflateNegotiator.TryReadResponse(["permessage-deflate; server_no_context_takeover; server_max_window_bits=10"], out var p), Is.True);
        Assert.That(p, Is.EqualTo(new PerMessageDeflateParameters(true, false)));
        Assert.That(PerMessageDeflateNegotiator.TryReadResponse(["permessage-deflate; client_max_window_bits=10"], out _), Is.False);
        Assert.That(PerMessageDeflateNegotiator.TryReadResponse(["x-unknown"], out _), Is.False);
        Assert.That(PerMessageDeflateNegotiator.TryReadResponse(["permessage-deflate, permessage-deflate"], out _), Is.False);
    }
}
