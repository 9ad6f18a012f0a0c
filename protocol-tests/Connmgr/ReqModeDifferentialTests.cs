using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using NetMQ;
using NetMQ.Sockets;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Connmgr.Server;
using Pushpin.ProtocolTests.Support;

namespace Pushpin.ProtocolTests.Connmgr;

/// <summary>
/// req mode against Debian's condure 1.9: the same client request through each must put the same
/// zhttp packet on the wire (ids and peer ports aside), and the same response packet must give
/// the client the same bytes.
/// </summary>
[TestFixture]
[CancelAfter(90_000)]
public sealed partial class ReqModeDifferentialTests
{
    private const string Condure = "/usr/bin/condure";

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    [TestCase("GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Test: 1\r\nx-test: 2\r\n\r\n")]
    [TestCase("POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nabcdef")]
    [TestCase("PUT /c HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")]
    [TestCase("HEAD /h HTTP/1.0\r\nHost: example.com\r\n\r\n")]
    public async Task Request_packet_and_response_bytes_match_condure(string request)
    {
        if (!File.Exists(Condure))
        {
            Assert.Ignore("condure is not installed");
        }
        var oursZ = FreePorts.One();
        var oursHttp = FreePorts.One();
        await using var ours = ChildProcess.Start(Artifacts.Executable("pushpin-connmgr"), [
            $"--listen=127.0.0.1:{P(oursHttp)},req", $"--zclient-req=tcp://127.0.0.1:{P(oursZ)}"]);
        var theirsZ = FreePorts.One();
        var theirsHttp = FreePorts.One();
        await using var theirs = ChildProcess.Start(Condure, [
            "--listen", $"127.0.0.1:{P(theirsHttp)},req", "--zclient-req", $"tcp://127.0.0.1:{P(theirsZ)}",
            "--zclient-stream", $"tcp://127.0.0.1:{P(FreePorts.Block(3))}"]);
        await ours.WaitForLineAsync("started");
        await theirs.WaitForLineAsync("started");

        var (oursPacket, oursResponse) = await ExchangeAsync(oursZ, oursHttp, request);
        var (theirsPacket, theirsResponse) = await ExchangeAsync(theirsZ, theirsHttp, request);
        Assert.That(oursPacket, Is.EqualTo(theirsPacket), "request packet");
        if (request.StartsWith("HEAD ", StringComparison.Ordinal))
        {
            // condure 1.9.1 writes the body after a HEAD response head (RFC 9110 §9.3.2 says none): same head, no body from us.
            var head = theirsResponse[..(theirsResponse.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)];
            Assert.That(oursResponse, Is.EqualTo(head), "response head");
            return;
        }
        Assert.That(oursResponse, Is.EqualTo(theirsResponse), "response bytes");
    }

    /// <summary>Sends <paramref name="request"/>, answers it with a fixed response packet; returns the normalised packet and the client's bytes.</summary>
    private static async Task<(string Packet, string Response)> ExchangeAsync(int zport, int httpPort, string request)
    {
        using var router = new RouterSocket();
        router.Connect($"tcp://127.0.0.1:{P(zport)}");
        var attempt = 0;
        string? packet = null;
        string? response = null;
        await Eventually.TrueAsync(async () =>
        {
            // Ours refuses (503) until the DEALER has a peer; condure queues. Either way retry
            // until this attempt's own request arrives.
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, httpPort);
            using var client = new TestClient(tcp);
            var value = (++attempt).ToString(CultureInfo.InvariantCulture);
            var marker = $"X-Attempt: {value}\r\n";
            var end = request.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            await client.SendAsync(request[..(end + 2)] + marker + request[(end + 2)..]);
            var frames = new List<byte[]>();
            while (router.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(500), ref frames))
            {
                var raw = Encoding.Latin1.GetString(frames[^1]);
                if (!raw.Contains($"9:X-Attempt,{value.Length}:{value},", StringComparison.Ordinal))
                {
                    continue;
                }
                Assert.That(ZhttpCodec.TryDecode(frames[^1], out var decoded, out _), Is.True);
                var reply = new NetMQMessage();
                foreach (var f in frames.GetRange(0, frames.Count - 1))
                {
                    reply.Append(f);
                }
                reply.Append(ZhttpCodec.Encode(new ZhttpPacket
                {
                    Id = decoded!.Id,
                    Code = 200,
                    Reason = "OK",
                    Headers = [new HttpHeader("Content-Type", "text/plain"), new HttpHeader("X-Custom", "a b")],
                    Body = "hello\n"u8.ToArray(),
                }));
                router.SendMultipartMessage(reply);
                packet = Normalise(raw);
                // A HEAD response announces a length it does not carry: read until the close.
                response = request.StartsWith("HEAD ", StringComparison.Ordinal)
                    ? await client.ReadToEndAsync(TimeSpan.FromSeconds(5))
                    : await client.ReadResponseAsync(TimeSpan.FromSeconds(5));
                return true;
            }
            return false;
        }, "a request through the req listener", TimeSpan.FromSeconds(20));
        return (packet!, response!);
    }

    /// <summary>The packet without what differs by nature: its length prefix, id and client port.</summary>
    private static string Normalise(string raw)
    {
        var s = LengthPrefix().Replace(raw, "T", 1);
        s = IdField().Replace(s, "2:id,<id>,");
        s = PeerPort().Replace(s, "9:peer-port,<port>#");
        s = Attempt().Replace(s, "<attempt>");
        return HeadersLength().Replace(s, "7:headers,<n>:");
    }

    [GeneratedRegex(@"^T\d+:")]
    private static partial Regex LengthPrefix();

    [GeneratedRegex(@"2:id,\d+:[^,]*,")]
    private static partial Regex IdField();

    [GeneratedRegex(@"9:peer-port,\d+:\d+#")]
    private static partial Regex PeerPort();

    [GeneratedRegex(@"\d+:9:X-Attempt,\d+:\d+,\]")]
    private static partial Regex Attempt();

    [GeneratedRegex(@"7:headers,\d+:")]
    private static partial Regex HeadersLength();
}
