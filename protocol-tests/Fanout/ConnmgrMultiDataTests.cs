using System.Text;
using Pushpin.Common.Zhttp;
using Pushpin.ProtocolTests.Connmgr.Server;

namespace Pushpin.ProtocolTests.Fanout;

/// <summary>connmgr's side of fan-out: multi-id data packets and bursts of body packets.</summary>
[CancelAfter(60_000)]
public sealed class ConnmgrMultiDataTests
{
    private ServerHarness _h = null!;

    [SetUp]
    public async Task SetUp() => _h = await ServerHarness.StartAsync();

    [TearDown]
    public async Task TearDown() => await _h.DisposeAsync();

    [Test]
    public async Task Multi_id_data_packet_reaches_every_listed_connection_in_order()
    {
        const int connections = 3;
        var clients = new List<TestClient>();
        var sessions = new List<ResponderSession>();
        for (var i = 0; i < connections; i++)
        {
            var client = await _h.ConnectAsync();
            clients.Add(client);
            await client.SendAsync($"GET /s{i} HTTP/1.1\r\nHost: a\r\n\r\n");
            var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
            s.Respond(200, "OK", [("Content-Type", "text/plain")], "", more: true);
            sessions.Add(s);
            await client.ReadUntilAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal));
        }

        // Three items, each one packet listing every session with its own next seq.
        for (var m = 0; m < 3; m++)
        {
            var ids = sessions.Select(s => new ZhttpSessionRef(s.Id, s.OutSeq++)).ToList();
            _h.Responder.Send(sessions[0].Requester, new ZhttpPacket
            {
                From = "resp1", Ids = ids, Body = Encoding.ASCII.GetBytes($"m{m}\n"), More = true, Multi = true,
            }, routerResp: true);
        }

        foreach (var client in clients)
        {
            var body = await client.ReadUntilAsync(t => t.Contains("m2\n", StringComparison.Ordinal));
            Assert.That(body, Is.EqualTo("3\r\nm0\n\r\n3\r\nm1\n\r\n3\r\nm2\n\r\n"));
        }
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Test]
    public async Task A_burst_of_body_packets_reaches_the_client_in_order_and_is_credited_back_in_full()
    {
        using var client = await _h.ConnectAsync();
        await client.SendAsync("GET /burst HTTP/1.1\r\nHost: a\r\n\r\n");
        var s = new ResponderSession(_h.Responder, "resp1", await _h.ExpectPacketAsync());
        s.Respond(200, "OK", [], "", more: true);
        await client.ReadUntilAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal));

        const int burst = 50;
        var expected = new StringBuilder();
        for (var i = 0; i < burst; i++)
        {
            var line = $"line {i:00}\n";
            s.Body(line, more: true);
            expected.Append(Hex(line.Length)).Append("\r\n").Append(line).Append("\r\n");
        }
        var got = await client.ReadUntilAsync(t => t.Contains("line 49\n", StringComparison.Ordinal));
        Assert.That(got, Is.EqualTo(expected.ToString()));

        // Credits come back for every byte written, possibly several packets' worth at once.
        var total = burst * "line 00\n".Length;
        var credited = 0;
        var creditPackets = 0;
        while (credited < total)
        {
            var p = await _h.ExpectPacketAsync();
            if (p.Type == ZhttpPacketType.Credit)
            {
                credited += p.Credits;
                creditPackets++;
            }
        }
        Assert.That(credited, Is.EqualTo(total));
        Assert.That(creditPackets, Is.InRange(1, burst));
    }

    private static string Hex(int n) => n.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}
