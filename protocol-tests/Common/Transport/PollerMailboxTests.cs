using NetMQ;
using NUnit.Framework;
using Pushpin.Common.Transport;

namespace Pushpin.ProtocolTests.Common.Transport;

[CancelAfter(20_000)]
public sealed class PollerMailboxTests
{
    [Test]
    public async Task Items_from_many_threads_all_reach_the_poller_thread_in_each_writers_order()
    {
        using var poller = new NetMQPoller();
        const int Writers = 4;
        const int PerWriter = 20_000;
        var seen = new int[Writers];
        var outOfOrder = 0;
        var total = 0;
        var pollerThread = -1;
        var wrongThread = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var mailbox = new PollerMailbox<(int Writer, int N)>(poller, item =>
        {
            if (Environment.CurrentManagedThreadId != pollerThread)
            {
                wrongThread++;
            }
            if (item.N != seen[item.Writer])
            {
                outOfOrder++;
            }
            seen[item.Writer] = item.N + 1;
            if (++total == Writers * PerWriter)
            {
                all.SetResult();
            }
        });
        var thread = new Thread(() =>
        {
            pollerThread = Environment.CurrentManagedThreadId;
            poller.Run();
        });
        thread.Start();
        while (!poller.IsRunning)
        {
            await Task.Delay(1);
        }
        // Bursts with pauses, so the poller drains, goes idle and must be woken again.
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                mailbox.Post((w, i));
                if (i % 1000 == 999)
                {
                    await Task.Delay(1);
                }
            }
        })));
        await all.Task.WaitAsync(TimeSpan.FromSeconds(15));
        poller.Stop();
        thread.Join();
        Assert.Multiple(() =>
        {
            Assert.That(total, Is.EqualTo(Writers * PerWriter));
            Assert.That(outOfOrder, Is.Zero);
            Assert.That(wrongThread, Is.Zero);
            Assert.That(mailbox.IsEmpty, Is.True);
        });
    }
}
