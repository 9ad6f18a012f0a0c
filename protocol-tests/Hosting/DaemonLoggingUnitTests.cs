using System.Text.RegularExpressions;
using NUnit.Framework;
using Pushpin.Common.Hosting;
using Serilog.Events;

namespace Pushpin.ProtocolTests.Hosting;

[TestFixture]
[CancelAfter(5_000)]
public sealed partial class DaemonLoggingUnitTests
{
    [GeneratedRegex(@"^\[(ERR|WARN|INFO|DEBUG|TRACE)\] \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} ")]
    private static partial Regex UpstreamPrefix();

    [Test]
    public void Lines_use_upstreams_format()
    {
        using var output = new StringWriter();
        using (var logger = DaemonLogging.CreateLogger(2, null, json: false, output))
        {
            logger.Information("hello {Name}", "world");
            logger.Warning("careful");
            logger.Error("broken");
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines, Has.All.Match(UpstreamPrefix().ToString()));
        Assert.That(lines[0], Does.StartWith("[INFO] ").And.EndWith(" hello world"));
        Assert.That(lines[1], Does.StartWith("[WARN] ").And.EndWith(" careful"));
        Assert.That(lines[2], Does.StartWith("[ERR] ").And.EndWith(" broken"));
    }

    [Test]
    public void Level_filters_on_upstreams_scale()
    {
        using var output = new StringWriter();
        using (var logger = DaemonLogging.CreateLogger(1, null, json: false, output))
        {
            logger.Information("hidden");
            logger.Debug("hidden too");
            logger.Warning("shown");
        }
        Assert.That(output.ToString(), Does.Not.Contain("hidden").And.Contain("shown"));
    }

    [Test]
    public void Debug_lines_name_their_category()
    {
        using var output = new StringWriter();
        using (var logger = DaemonLogging.CreateLogger(4, null, json: false, output))
        {
            logger.ForContext("SourceContext", "Pushpin.Proxy.Sessions.ProxySession").Debug("detail");
        }
        Assert.That(output.ToString(), Does.Match(@"^\[DEBUG\] \S+ \S+ \[ProxySession\] detail\n$"));
    }

    [Test]
    public void Json_format_writes_one_object_per_line()
    {
        using var output = new StringWriter();
        using (var logger = DaemonLogging.CreateLogger(2, null, json: true, output))
        {
            logger.Information("hello {Name}", "world");
        }
        var line = output.ToString().Trim();
        Assert.That(line, Does.StartWith("{").And.EndWith("}"));
        Assert.That(line, Does.Contain("\"Name\":\"world\""));
    }

    [Test]
    public void Log_file_is_written_when_given()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pushpin-log-{Guid.NewGuid():N}.log");
        try
        {
            using (var logger = DaemonLogging.CreateLogger(2, path, json: false))
            {
                logger.Information("to file");
            }
            Assert.That(File.ReadAllText(path), Does.Match(@"^\[INFO\] .* to file\n$"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Log_file_is_reopened_after_rotation()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pushpin-log-{Guid.NewGuid():N}.log");
        var rotated = path + ".1";
        try
        {
            using (var logger = DaemonLogging.CreateLogger(2, path, json: false))
            {
                logger.Information("before");
                File.Move(path, rotated);
                DaemonLogging.ReopenLogFiles();
                logger.Information("after");
            }
            Assert.That(File.ReadAllText(rotated), Does.Contain("before").And.Not.Contain("after"));
            Assert.That(File.ReadAllText(path), Does.Contain("after").And.Not.Contain("before"));
        }
        finally
        {
            File.Delete(path);
            File.Delete(rotated);
        }
    }

    [Test]
    public void Log_file_rolls_over_at_its_size_limit_and_keeps_the_newest_files()
    {
        var dir = Directory.CreateTempSubdirectory("pushpin-roll-").FullName;
        try
        {
            var path = Path.Combine(dir, "pushpin.log");
            using (var sink = new ReopenableFileSink(new PushpinLogFormatter(), path, sizeLimit: 1000, retainedFiles: 3))
            using (var logger = new Serilog.LoggerConfiguration().WriteTo.Sink(sink).CreateLogger())
            {
                for (var i = 0; i < 100; i++)
                {
                    logger.Information("line {N} {Padding}", i, new string('x', 60));
                }
            }
            var files = Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.That(files, Has.Count.EqualTo(3), string.Join(", ", files));
            Assert.That(files, Has.All.Match(@"^pushpin(_\d{3})?\.log$"));
            Assert.That(files.Select(f => new FileInfo(Path.Combine(dir, f!)).Length), Has.All.LessThanOrEqualTo(1000));
            // The newest lines survive; the oldest were deleted with their files.
            var all = string.Concat(files.Select(f => File.ReadAllText(Path.Combine(dir, f!))));
            Assert.That(all, Does.Contain("line 99 ").And.Not.Contain("line 0 "));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase(0, LogEventLevel.Error)]
    [TestCase(1, LogEventLevel.Warning)]
    [TestCase(2, LogEventLevel.Information)]
    [TestCase(3, LogEventLevel.Debug)]
    [TestCase(4, LogEventLevel.Verbose)]
    public void Upstream_levels_map_to_serilog(int level, LogEventLevel expected)
    {
        Assert.That(DaemonLogging.ToSerilogLevel(level), Is.EqualTo(expected));
    }
}
