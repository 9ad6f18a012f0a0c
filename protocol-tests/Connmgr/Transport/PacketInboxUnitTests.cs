using NUnit.Framework;
using Pushpin.Common.Zhttp;
using Pushpin.Connmgr.Transport;

namespace Pushpin.ProtocolTests.Connmgr.Transport;

[CancelAfter(10_000)]
public sealed class PacketInboxUnitTests
{
    private static ZhttpPacket Packet(int seq) => new() { Seq = seq };

    [Test]
    public async Task Queued_packets_are_read_in_the_order_written()
    {
        var inbox = new PacketInbox();
        for (var i = 0; i < 10; i++)
        {
            Assert.That(inbox.TryWrite(Packet(i)), Is.True);
        }
        Assert.That(inbox.TryPeek(out var head), Is.True);
        Assert.That(head.Seq, Is.Zero);
        for (var i = 0; i < 10; i++)
        {
            Assert.That((await inbox.ReadAsync(CancellationToken.None)).Seq, Is.EqualTo(i));
        }
        Assert.That(inbox.TryRead(out _), Is.False);
    }

    [Test]
    public async Task A_waiting_reader_gets_the_packet_written_from_another_thread()
    {
        var inbox = new PacketInbox();
        for (var round = 0; round < 1000; round++)
        {
            var read = inbox.ReadAsync(CancellationToken.None);
            var r = round;
            await Task.Run(() => inbox.TryWrite(Packet(r)));
            Assert.That((await read).Seq, Is.EqualTo(round));
        }
    }

    [Test]
    public async Task Many_writers_lose_nothing()
    {
        var inbox = new PacketInbox();
        const int PerWriter = 5000;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                inbox.TryWrite(Packet((w * PerWriter) + i));
            }
        })).ToArray();
        var seen = new HashSet<int>();
        while (seen.Count < 4 * PerWriter)
        {
            seen.Add((await inbox.ReadAsync(CancellationToken.None)).Seq);
        }
        await Task.WhenAll(writers);
        Assert.That(seen, Has.Count.EqualTo(4 * PerWriter));
    }

    [Test]
    public async Task Cancelling_a_wait_ends_it_and_the_inbox_keeps_working()
    {
        var inbox = new PacketInbox();
        using var cts = new CancellationTokenSource();
        var read = inbox.ReadAsync(cts.Token);
        await cts.CancelAsync();
        Assert.ThrowsAsync<OperationCanceledException>(async () => await read);
        inbox.TryWrite(Packet(7));
        Assert.That((await inbox.ReadAsync(CancellationToken.None)).Seq, Is.EqualTo(7));
        Assert.That(inbox.ReadAsync(cts.Token).IsCanceled, Is.True, "an already cancelled token with nothing queued");
    }
}
