using NUnit.Framework;
using Pushpin.Common.Hosting;

namespace Pushpin.ProtocolTests.Hosting;

[TestFixture]
[NonParallelizable]
[CancelAfter(20_000)]
public sealed class ParentWatchTests
{
    [Test]
    public void Parent_pid_is_read_and_recognized()
    {
        var ppid = ParentWatch.ParentPid();
        Assert.That(ppid, Is.Not.Null.And.GreaterThan(0));
        Assert.That(ParentWatch.IsParentAlive(ppid!.Value), Is.True);
        Assert.That(ParentWatch.IsParentAlive(Environment.ProcessId), Is.False);
    }

    [Test]
    public async Task Daemon_stops_when_the_runner_named_in_the_environment_is_not_its_parent()
    {
        // Our own pid is never our parent: the daemon must consider itself orphaned.
        var previous = Environment.GetEnvironmentVariable(ParentWatch.RunnerPidVariable);
        Environment.SetEnvironmentVariable(ParentWatch.RunnerPidVariable, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            using var output = new StringWriter();
            var code = await DaemonHost.RunAsync("handler", [], (_, ct) => Task.Delay(Timeout.Infinite, ct), new DaemonHostOptions { LogOutput = output, NoConfigSearch = true, ExitProcessWhenOrphaned = false });
            Assert.That(code, Is.Zero);
            Assert.That(output.ToString(), Does.Contain($"runner (pid {Environment.ProcessId}) is gone; stopping"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ParentWatch.RunnerPidVariable, previous);
        }
    }
}
